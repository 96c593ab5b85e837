import {
  ACTIVITY_AUTHOR_IS_CALLER,
  ACTIVITY_LIST_DEFAULT_SELECT,
  ACTIVITY_NOT_FOUND_ERROR,
  ACTIVITY_TASK_TYPE_REFUSED,
  ACTIVITY_UNKNOWN_FILTER_ERROR,
} from '../assumptions.ts';
import type { PortalCore } from '../portal-core.ts';
import { isoDate } from '../dates.ts';
import { type CrmActivity, crmMap, nextId } from '../model.ts';
import type { FilterCondition } from '../rest/list.ts';
import { asBool, asInt, asList, asStr } from '../rest/params.ts';
import { restError } from '../rest/rest-error.ts';
import { touchTimeline } from './store.ts';

/*
 * CRM activities (crm.activity.add/get/list/update/delete) as documented in
 * api-reference/crm/timeline/activities/activity-base: UPPER_CASE fields, numbers and dates as
 * strings, errors with an empty `error` and the reason in `error_description`.
 */

/** The fields list/get answer, by name: how each is read from the model (null = not stored). */
const FIELDS: Record<string, (a: CrmActivity, tz: number) => unknown> = {
  ID: (a) => String(a.id),
  OWNER_ID: (a) => String(a.ownerId),
  OWNER_TYPE_ID: (a) => String(a.ownerTypeId),
  TYPE_ID: (a) => String(a.typeId),
  PROVIDER_ID: (a) => a.providerId,
  PROVIDER_TYPE_ID: (a) => a.providerTypeId,
  PROVIDER_GROUP_ID: () => null,
  ASSOCIATED_ENTITY_ID: () => '0',
  SUBJECT: (a) => a.subject,
  CREATED: (a, tz) => isoDate(a.createdAt, tz),
  LAST_UPDATED: (a, tz) => isoDate(a.updatedAt, tz),
  START_TIME: (a, tz) => (a.startTime === null ? '' : isoDate(a.startTime, tz)),
  END_TIME: (a, tz) => (a.endTime === null ? '' : isoDate(a.endTime, tz)),
  DEADLINE: (a, tz) => {
    const t = a.typeId === 3 ? a.endTime : a.startTime;
    return t === null ? '' : isoDate(t, tz);
  },
  COMPLETED: (a) => (a.completed ? 'Y' : 'N'),
  STATUS: (a) => (a.completed ? '2' : '1'),
  RESPONSIBLE_ID: (a) => String(a.responsibleId),
  PRIORITY: () => '2',
  NOTIFY_TYPE: () => '0',
  NOTIFY_VALUE: () => '0',
  DESCRIPTION: (a) => a.description,
  DESCRIPTION_TYPE: () => '1',
  DIRECTION: (a) => String(a.direction),
  LOCATION: () => '',
  SETTINGS: () => [],
  ORIGINATOR_ID: () => null,
  ORIGIN_ID: () => null,
  AUTHOR_ID: (a) => String(a.authorId),
  EDITOR_ID: (a) => String(a.editorId),
  PROVIDER_PARAMS: () => [],
  PROVIDER_DATA: () => null,
  RESULT_MARK: () => '0',
  RESULT_VALUE: () => null,
  RESULT_SUM: () => null,
  RESULT_CURRENCY_ID: () => null,
  RESULT_STATUS: () => '0',
  RESULT_STREAM: () => '0',
  RESULT_SOURCE_ID: () => null,
  AUTOCOMPLETE_RULE: () => '0',
};

/** Values the list filter and order compare, by field (dates as instants, ids as numbers). */
const COMPARABLE: Record<string, (a: CrmActivity) => unknown> = {
  ID: (a) => a.id,
  OWNER_ID: (a) => a.ownerId,
  OWNER_TYPE_ID: (a) => a.ownerTypeId,
  TYPE_ID: (a) => a.typeId,
  PROVIDER_ID: (a) => a.providerId,
  PROVIDER_TYPE_ID: (a) => a.providerTypeId,
  SUBJECT: (a) => a.subject,
  CREATED: (a) => a.createdAt,
  LAST_UPDATED: (a) => a.updatedAt,
  START_TIME: (a) => a.startTime,
  END_TIME: (a) => a.endTime,
  COMPLETED: (a) => (a.completed ? 'Y' : 'N'),
  STATUS: (a) => (a.completed ? 2 : 1),
  RESPONSIBLE_ID: (a) => a.responsibleId,
  AUTHOR_ID: (a) => a.authorId,
  EDITOR_ID: (a) => a.editorId,
  DIRECTION: (a) => a.direction,
  DESCRIPTION: (a) => a.description,
};
const DATE_FIELDS = new Set(['CREATED', 'LAST_UPDATED', 'START_TIME', 'END_TIME']);

export function activityView(core: PortalCore, a: CrmActivity, select: string[] | null) {
  const tz = core.tzOffsetMin;
  const names = select && select.length > 0 ? select : [ACTIVITY_LIST_DEFAULT_SELECT];
  const out: Record<string, unknown> = {};
  const wantAll = names.includes('*');
  for (const [name, get] of Object.entries(FIELDS)) {
    if (wantAll || names.includes(name)) out[name] = get(a, tz);
  }
  // COMMUNICATIONS only when asked for by name (documented); FILES are not modelled.
  if (names.includes('COMMUNICATIONS')) {
    out.COMMUNICATIONS = a.communications.map((c, i) => ({
      ID: String(a.id * 10 + i),
      TYPE: c.TYPE ?? '',
      VALUE: c.VALUE,
      ENTITY_ID: String(c.ENTITY_ID),
      ENTITY_TYPE_ID: String(c.ENTITY_TYPE_ID),
    }));
  }
  if (!out.ID) out.ID = String(a.id);
  return out;
}

/** Refuses a filter or order field the list does not know (ACTIVITY_UNKNOWN_FILTER_ERROR). */
export function checkActivityField(field: string): void {
  if (!(field.toUpperCase() in COMPARABLE))
    throw restError(400, ACTIVITY_UNKNOWN_FILTER_ERROR.error, ACTIVITY_UNKNOWN_FILTER_ERROR.description);
}

/** The value a filter condition or an order compares. */
export function activityValue(field: string, a: CrmActivity): unknown {
  checkActivityField(field);
  return COMPARABLE[field.toUpperCase()](a);
}

/** Dates in a filter are compared as instants, whatever offset they are written in. */
export function normaliseCondition(c: FilterCondition): FilterCondition {
  const field = c.field.toUpperCase();
  if (field !== 'BINDINGS') checkActivityField(field);
  if (!DATE_FIELDS.has(field)) return { ...c, field };
  const toMs = (v: unknown) => (typeof v === 'string' && Number.isFinite(Date.parse(v)) ? Date.parse(v) : v);
  return { ...c, field, value: Array.isArray(c.value) ? c.value.map(toMs) : toMs(c.value) };
}

const ms = (v: unknown): number | null => {
  const s = asStr(v);
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
};

function requireFields(fields: Record<string, unknown>, isAdd: boolean, core: PortalCore) {
  const has = (k: string) => fields[k] !== undefined;
  if ((isAdd || has('SUBJECT')) && !asStr(fields.SUBJECT).trim())
    throw restError(400, '', 'The field SUBJECT is not defined or empty');
  const responsible = asInt(fields.RESPONSIBLE_ID);
  if ((isAdd || has('RESPONSIBLE_ID')) && (responsible === null || !core.state.users.has(responsible)))
    throw restError(400, '', 'The field RESPONSIBLE_ID is not defined or invalid');
  const type = asInt(fields.TYPE_ID);
  if (
    (isAdd || has('TYPE_ID')) &&
    (type === null || type < 1 || type > 6 || (type === 3 && ACTIVITY_TASK_TYPE_REFUSED))
  )
    throw restError(400, '', 'The field TYPE_ID is not defined or invalid');
  if (isAdd && type === 6 && !asStr(fields.PROVIDER_ID))
    throw restError(400, '', 'The custom activity without provider is not supported in current context');
  if ((isAdd || has('COMMUNICATIONS')) && asList(fields.COMMUNICATIONS).length === 0)
    throw restError(400, '', 'The field COMMUNICATIONS is not defined or invalid');
}

/** crm.activity.add: the caller is its author (AUTHOR_ID is not a writable field). */
export function addActivity(
  core: PortalCore,
  fields: Record<string, unknown>,
  callerId: number,
): CrmActivity {
  requireFields(fields, true, core);
  const authorId = ACTIVITY_AUTHOR_IS_CALLER ? callerId : (asInt(fields.AUTHOR_ID) ?? callerId);
  const ownerTypeId = asInt(fields.OWNER_TYPE_ID);
  const ownerId = asInt(fields.OWNER_ID);
  const ownerMap =
    ownerTypeId === 1 || ownerTypeId === 3 || ownerTypeId === 4 ? crmMap(core.state, ownerTypeId) : null;
  if (ownerId === null || !ownerMap?.has(ownerId)) {
    throw restError(
      400,
      '',
      'Could not build binding. Please ensure that owner info and communications are defined correctly',
    );
  }
  const now = core.clock();
  const a: CrmActivity = {
    id: nextId(core.state, 'activity'),
    ownerTypeId: ownerTypeId!,
    ownerId,
    typeId: asInt(fields.TYPE_ID)!,
    providerId: asStr(fields.PROVIDER_ID) || providerFor(asInt(fields.TYPE_ID)!),
    providerTypeId: asStr(fields.PROVIDER_TYPE_ID) || providerTypeFor(asInt(fields.TYPE_ID)!),
    subject: asStr(fields.SUBJECT),
    description: asStr(fields.DESCRIPTION),
    direction: asInt(fields.DIRECTION) ?? 0,
    completed: asBool(fields.COMPLETED),
    responsibleId: asInt(fields.RESPONSIBLE_ID)!,
    authorId,
    editorId: authorId,
    startTime: ms(fields.START_TIME),
    endTime: ms(fields.END_TIME),
    createdAt: now,
    updatedAt: now,
    communications: asList(fields.COMMUNICATIONS).map((c) => {
      const o = (c ?? {}) as Record<string, unknown>;
      return {
        VALUE: asStr(o.VALUE),
        ENTITY_ID: asInt(o.ENTITY_ID) ?? ownerId,
        ENTITY_TYPE_ID: asInt(o.ENTITY_TYPE_ID) ?? ownerTypeId!,
        TYPE: asStr(o.TYPE) || undefined,
      };
    }),
  };
  core.state.crm.activities.set(a.id, a);
  touchTimeline(core, a.ownerTypeId, a.ownerId, authorId);
  return a;
}

export function getActivity(core: PortalCore, id: unknown): CrmActivity {
  const a = core.state.crm.activities.get(asInt(id) ?? -1);
  if (!a) throw restError(400, ACTIVITY_NOT_FOUND_ERROR.error, ACTIVITY_NOT_FOUND_ERROR.description);
  return a;
}

export function updateActivity(
  core: PortalCore,
  id: unknown,
  fields: Record<string, unknown>,
  editorId: number,
): CrmActivity {
  const a = core.state.crm.activities.get(asInt(id) ?? -1);
  if (!a) throw restError(400, '', 'Activity is not found');
  requireFields(fields, false, core);
  if (fields.SUBJECT !== undefined) a.subject = asStr(fields.SUBJECT);
  if (fields.DESCRIPTION !== undefined) a.description = asStr(fields.DESCRIPTION);
  if (fields.RESPONSIBLE_ID !== undefined) a.responsibleId = asInt(fields.RESPONSIBLE_ID)!;
  if (fields.COMPLETED !== undefined) a.completed = asBool(fields.COMPLETED);
  if (fields.DIRECTION !== undefined) a.direction = asInt(fields.DIRECTION) ?? a.direction;
  if (fields.START_TIME !== undefined) a.startTime = ms(fields.START_TIME);
  if (fields.END_TIME !== undefined) a.endTime = ms(fields.END_TIME);
  a.editorId = editorId;
  a.updatedAt = core.clock();
  return a;
}

export function deleteActivity(core: PortalCore, id: unknown): void {
  if (!core.state.crm.activities.delete(asInt(id) ?? -1)) throw restError(400, '', 'Activity is not found');
}

function providerFor(typeId: number): string {
  return typeId === 2 ? 'VOXIMPLANT_CALL' : typeId === 4 ? 'CRM_EMAIL' : typeId === 1 ? 'CRM_MEETING' : '';
}

function providerTypeFor(typeId: number): string {
  return typeId === 2 ? 'CALL' : typeId === 4 ? 'EMAIL' : typeId === 1 ? 'MEETING' : '';
}
