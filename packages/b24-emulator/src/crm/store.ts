import {
  CRM_UNKNOWN_RESPONSIBLE_ERROR,
  DEAL_CATEGORY_CHANGE_EVENTS,
  DEAL_STAGE_IDS,
  DEAL_UNKNOWN_CATEGORY_ERROR,
  LAST_ACTIVITY_FOLLOWS_TIMELINE,
  MOVED_BY_ON_STAGE_CHANGE_ONLY,
} from '../assumptions.ts';
import type { PortalWithEvents } from '../events/bus.ts';
import type { Hit, PortalCore } from '../portal-core.ts';
import { type CrmEntityTypeId, type CrmItem, type CrmMultiField, crmMap, nextId } from '../model.ts';
import { asInt, asStr } from '../rest/params.ts';
import { restError } from '../rest/rest-error.ts';

export const ENTITY_NAMES: Record<
  CrmEntityTypeId,
  {
    event: string;
    code: 'LEAD' | 'DEAL' | 'CONTACT' | 'COMPANY';
    seq: 'lead' | 'deal' | 'contact' | 'company';
  }
> = {
  1: { event: 'LEAD', code: 'LEAD', seq: 'lead' },
  2: { event: 'DEAL', code: 'DEAL', seq: 'deal' },
  3: { event: 'CONTACT', code: 'CONTACT', seq: 'contact' },
  4: { event: 'COMPANY', code: 'COMPANY', seq: 'company' },
};

export function parseEntityTypeId(v: unknown): CrmEntityTypeId {
  const n = asInt(v);
  if (n === 1 || n === 2 || n === 3 || n === 4) return n;
  throw restError(400, 'NOT_FOUND', 'SPA not found');
}

/** Digits only, without a leading 8/7 country variance, so "+7 916 555-01-01" matches "89165550101". */
export function normalizePhone(p: string): string {
  const d = p.replace(/\D+/g, '');
  return d.length === 11 && (d.startsWith('7') || d.startsWith('8')) ? d.slice(1) : d;
}

export function fmMatches(f: CrmMultiField, typeId: CrmMultiField['typeId'], value: string): boolean {
  if (f.typeId !== typeId) return false;
  if (typeId === 'PHONE')
    return normalizePhone(f.value) === normalizePhone(value) && normalizePhone(value) !== '';
  return f.value.trim().toLowerCase() === value.trim().toLowerCase();
}

const SCALAR_FIELDS: Record<string, keyof CrmItem> = {
  title: 'title',
  name: 'name',
  lastName: 'lastName',
  secondName: 'secondName',
  sourceId: 'sourceId',
  sourceDescription: 'sourceDescription',
  stageId: 'stageId',
  statusId: 'stageId',
  typeId: 'stageId',
  companyType: 'stageId',
  comments: 'comments',
  opened: 'opened',
};
const INT_FIELDS: Record<string, keyof CrmItem> = {
  assignedById: 'assignedById',
  companyId: 'companyId',
  contactId: 'contactId',
  leadId: 'leadId',
};

function validUser(core: PortalWithEvents, id: number): void {
  if (!core.state.users.has(id)) {
    throw restError(400, CRM_UNKNOWN_RESPONSIBLE_ERROR.error, CRM_UNKNOWN_RESPONSIBLE_ERROR.description);
  }
}

/** Applies `fields` to an item; returns whether anything changed. */
function applyFields(
  core: PortalWithEvents,
  item: CrmItem,
  fields: Record<string, unknown>,
  isAdd: boolean,
): boolean {
  let changed = false;
  for (const [key, raw] of Object.entries(fields)) {
    if (key in SCALAR_FIELDS) {
      const prop = SCALAR_FIELDS[key];
      const v = asStr(raw);
      if (item[prop] !== v) {
        (item as unknown as Record<string, unknown>)[prop] = v;
        changed = true;
      }
    } else if (key in INT_FIELDS) {
      const n = asInt(raw);
      if (n === null)
        throw restError(400, 'CRM_FIELD_ERROR_VALUE_NOT_VALID', `Invalid value for field "${key}"`);
      if (key === 'assignedById') validUser(core, n);
      const prop = INT_FIELDS[key];
      if (item[prop] !== n) {
        (item as unknown as Record<string, unknown>)[prop] = n;
        changed = true;
      }
    } else if (key === 'fm') {
      if (raw === null || typeof raw !== 'object') {
        throw restError(
          400,
          '100',
          `Expected iterable value for multiple field, but got ${typeof raw} instead`,
        );
      }
      changed = applyFm(core, item, raw as Record<string, unknown>, isAdd) || changed;
    }
  }
  return changed;
}

function applyFm(
  core: PortalWithEvents,
  item: CrmItem,
  raw: Record<string, unknown> | unknown[],
  isAdd: boolean,
): boolean {
  let changed = false;
  const entries = Array.isArray(raw) ? raw.map((v, i) => [`n${i}`, v] as const) : Object.entries(raw);
  for (const [key, v] of entries) {
    const f = (v ?? {}) as Record<string, unknown>;
    const existing = !isAdd && /^\d+$/.test(key) ? item.fm.find((x) => x.id === Number(key)) : undefined;
    const value = asStr(f.value ?? f.VALUE);
    if (existing) {
      if (value === '') item.fm = item.fm.filter((x) => x !== existing);
      else {
        existing.value = value;
        existing.valueType = asStr(f.valueType ?? f.VALUE_TYPE) || existing.valueType;
      }
      changed = true;
      continue;
    }
    if (!value) continue;
    const typeId = asStr(f.typeId ?? f.TYPE_ID).toUpperCase() as CrmMultiField['typeId'];
    if (!['PHONE', 'EMAIL', 'WEB', 'IM'].includes(typeId)) continue;
    item.fm.push({
      id: nextId(core.state, 'multifield'),
      typeId,
      valueType: asStr(f.valueType ?? f.VALUE_TYPE) || 'WORK',
      value,
    });
    changed = true;
  }
  return changed;
}

export function newItem(
  core: PortalWithEvents,
  entityTypeId: CrmEntityTypeId,
  actingUserId: number | null,
): CrmItem {
  const now = core.clock();
  const id = nextId(core.state, ENTITY_NAMES[entityTypeId].seq);
  const by = actingUserId ?? core.state.app.installedBy ?? 1;
  return {
    entityTypeId,
    id,
    title: '',
    name: '',
    lastName: '',
    secondName: '',
    assignedById: by || 1,
    sourceId: entityTypeId === 1 ? 'CALL' : '',
    sourceDescription: '',
    stageId: entityTypeId === 1 || entityTypeId === 2 ? 'NEW' : entityTypeId === 3 ? 'CLIENT' : 'CUSTOMER',
    companyId: 0,
    contactId: 0,
    categoryId: 0,
    leadId: 0,
    comments: '',
    opened: 'Y',
    createdBy: by || 1,
    updatedBy: by || 1,
    createdAt: now,
    updatedAt: now,
    fm: [],
    movedBy: by || 1,
    movedTime: now,
    lastActivityBy: by || 1,
    lastActivityTime: now,
  };
}

/** Creates an item and fires ONCRM<TYPE>ADD (tokens of `actingUserId`, none when null). */
export function addItem(
  core: PortalWithEvents,
  entityTypeId: CrmEntityTypeId,
  fields: Record<string, unknown>,
  actingUserId: number | null,
  hit: Hit,
): CrmItem {
  const item = newItem(core, entityTypeId, actingUserId);
  if (entityTypeId === 2 && fields.categoryId !== undefined) {
    item.categoryId = dealCategory(core, fields.categoryId);
    item.stageId = firstStage(item.categoryId);
  }
  applyFields(core, item, fields, true);
  if (entityTypeId === 1 && !item.title) item.title = `Lead #${item.id}`;
  if (entityTypeId === 2 && !item.title) item.title = `Deal #${item.id}`;
  crmMap(core.state, entityTypeId).set(item.id, item);
  core.events.fire(
    `ONCRM${ENTITY_NAMES[entityTypeId].event}ADD`,
    { FIELDS: { ID: item.id } },
    { actingUserId, hit },
  );
  return item;
}

/** Updates an item; fires ONCRM<TYPE>UPDATE only when something actually changed (crm.item.update does not save otherwise). */
export function updateItem(
  core: PortalWithEvents,
  entityTypeId: CrmEntityTypeId,
  id: number,
  fields: Record<string, unknown>,
  actingUserId: number | null,
  hit: Hit,
): CrmItem {
  const item = crmMap(core.state, entityTypeId).get(id);
  if (!item) throw restError(400, 'NOT_FOUND', 'Element not found');
  const stageBefore = item.stageId;
  let moved = false;
  if (entityTypeId === 2 && fields.categoryId !== undefined) {
    const to = dealCategory(core, fields.categoryId);
    if (to !== item.categoryId) {
      // A new pipeline starts the deal at that pipeline's first stage.
      item.categoryId = to;
      item.stageId = firstStage(to);
      moved = true;
    }
  }
  const changed = applyFields(core, item, fields, false);
  if (changed || moved) {
    item.updatedAt = core.clock();
    item.updatedBy = actingUserId ?? item.updatedBy;
    if (item.stageId !== stageBefore || !MOVED_BY_ON_STAGE_CHANGE_ONLY) {
      item.movedBy = actingUserId ?? item.updatedBy;
      item.movedTime = item.updatedAt;
    }
  }
  if (changed || (moved && DEAL_CATEGORY_CHANGE_EVENTS.includes('ONCRMDEALUPDATE'))) {
    core.events.fire(
      `ONCRM${ENTITY_NAMES[entityTypeId].event}UPDATE`,
      { FIELDS: { ID: item.id } },
      { actingUserId, hit },
    );
  }
  if (moved) {
    core.events.fire(
      'ONCRMDEALMOVETOCATEGORY',
      { FIELDS: { ID: item.id, CATEGORY_ID: item.categoryId, STAGE_ID: item.stageId } },
      { actingUserId, hit },
    );
  }
  return item;
}

/** A deal pipeline id that exists (crm.category.list), or the error crm.item.* answers. */
function dealCategory(core: PortalWithEvents, raw: unknown): number {
  const id = asInt(raw);
  if (id === null || !core.state.crm.dealCategories.has(id)) {
    throw restError(400, DEAL_UNKNOWN_CATEGORY_ERROR.error, DEAL_UNKNOWN_CATEGORY_ERROR.description);
  }
  return id;
}

/** The first stage of a pipeline: NEW in the general one, C<id>:NEW in the others (crm.status STAGE_ID). */
export function firstStage(categoryId: number): string {
  return categoryId === 0 ? DEAL_STAGE_IDS.first : `C${categoryId}:${DEAL_STAGE_IDS.first}`;
}

/** A deal's stage group: won (S), lost (F) or in progress (P). */
export function dealSemantic(stageId: string): 'P' | 'S' | 'F' {
  const stage = stageId.replace(/^C\d+:/, '');
  return stage === DEAL_STAGE_IDS.won ? 'S' : stage === DEAL_STAGE_IDS.lost ? 'F' : 'P';
}

/** Ids per entity type whose phones/emails match any of `values` (crm.duplicate.findbycomm). */
export function findByComm(
  core: PortalWithEvents,
  typeId: 'PHONE' | 'EMAIL',
  values: string[],
  only?: 'LEAD' | 'CONTACT' | 'COMPANY',
): Array<['LEAD' | 'CONTACT' | 'COMPANY', number[]]> {
  const out: Array<['LEAD' | 'CONTACT' | 'COMPANY', number[]]> = [];
  const kinds: Array<[CrmEntityTypeId, 'LEAD' | 'CONTACT' | 'COMPANY']> = [
    [1, 'LEAD'],
    [3, 'CONTACT'],
    [4, 'COMPANY'],
  ];
  for (const [t, code] of kinds) {
    if (only && only !== code) continue;
    const ids = [...crmMap(core.state, t).values()]
      .filter((item) => item.fm.some((f) => values.some((v) => fmMatches(f, typeId, v))))
      .map((item) => item.id);
    if (ids.length) out.push([code, ids.slice(0, 20)]);
    // docs: a type with 20+ matches stops the search
    if (ids.length >= 20) break;
  }
  return out;
}

/**
 * Someone interacted in the item's timeline (an activity, a comment): lastActivityBy /
 * lastActivityTime follow (assumption LAST_ACTIVITY_FOLLOWS_TIMELINE).
 */
export function touchTimeline(core: PortalCore, entityTypeId: number, id: number, userId: number): void {
  if (!LAST_ACTIVITY_FOLLOWS_TIMELINE) return;
  if (entityTypeId !== 1 && entityTypeId !== 2 && entityTypeId !== 3 && entityTypeId !== 4) return;
  const item = crmMap(core.state, entityTypeId).get(id);
  if (!item) return;
  item.lastActivityBy = userId;
  item.lastActivityTime = core.clock();
}
