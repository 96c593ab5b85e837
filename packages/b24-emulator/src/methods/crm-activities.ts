import {
  activityValue,
  activityView,
  checkActivityField,
  addActivity,
  deleteActivity,
  getActivity,
  normaliseCondition,
  updateActivity,
} from '../crm/activities.ts';
import type { CrmActivity } from '../model.ts';
import { type MethodTable, ok } from '../rest/context.ts';
import { type FilterCondition, matches, paginate, parseFilter, sortBy } from '../rest/list.ts';
import { asInt, asList, asObject, pick } from '../rest/params.ts';
import { restError } from '../rest/rest-error.ts';

function fieldsOf(params: Record<string, unknown>): Record<string, unknown> {
  const f = pick(params, 'fields');
  if (!f || typeof f !== 'object') throw restError(400, '', 'The parameter fields is not defined or invalid');
  // Field names are upper-case on the wire; accept any case as the portal does.
  return Object.fromEntries(Object.entries(f as object).map(([k, v]) => [k.toUpperCase(), v]));
}

/** `BINDINGS: [{OWNER_TYPE_ID, OWNER_ID}]`: the activity is bound to one of them (its owner). */
function bindingMatches(a: CrmActivity, value: unknown): boolean {
  return asList(value).some((b) => {
    const o = asObject(b);
    const type = asInt(pick(o, 'OWNER_TYPE_ID'));
    const id = asInt(pick(o, 'OWNER_ID'));
    return (type === null || type === a.ownerTypeId) && (id === null || id === a.ownerId);
  });
}

function activityMatches(a: CrmActivity, c: FilterCondition): boolean {
  if (c.field === 'BINDINGS') return bindingMatches(a, c.value);
  return matches(activityValue(c.field, a), c);
}

/** crm.activity.* (activity-base): add, get, list, update, delete. */
export const crmActivityMethods: MethodTable = {
  'crm.activity.add': {
    scope: 'crm',
    handler: ({ core, params, caller }) => ok(addActivity(core, fieldsOf(params), caller.userId).id),
  },
  'crm.activity.get': {
    scope: 'crm',
    handler: ({ core, params }) => ok(activityView(core, getActivity(core, pick(params, 'id')), ['*'])),
  },
  'crm.activity.update': {
    scope: 'crm',
    handler: ({ core, params, caller }) => {
      updateActivity(core, pick(params, 'id'), fieldsOf(params), caller.userId);
      return ok(true);
    },
  },
  'crm.activity.delete': {
    scope: 'crm',
    handler: ({ core, params }) => {
      deleteActivity(core, pick(params, 'id'));
      return ok(true);
    },
  },
  'crm.activity.list': {
    scope: 'crm',
    handler: ({ core, params }) => {
      const rawFilter = pick(params, 'filter');
      if (rawFilter !== undefined && (rawFilter === null || typeof rawFilter !== 'object'))
        throw restError(400, '', "Parameter 'filter' must be array.");
      const rawOrder = pick(params, 'order');
      if (rawOrder !== undefined && (rawOrder === null || typeof rawOrder !== 'object'))
        throw restError(400, '', "Parameter 'order' must be array.");
      const conds = parseFilter(asObject(rawFilter)).map(normaliseCondition);
      const order = asObject(rawOrder);
      for (const f of Object.keys(order)) checkActivityField(f);
      const select = pick(params, 'select') === undefined ? null : asList(pick(params, 'select')).map(String);
      let rows = [...core.state.crm.activities.values()].filter((a) =>
        conds.every((c) => activityMatches(a, c)),
      );
      // Documented default: ascending by START_TIME (then by id, so pages are stable).
      rows = sortBy(rows, Object.keys(order).length ? order : { START_TIME: 'ASC', ID: 'ASC' }, (a, f) =>
        activityValue(f, a),
      );
      const page = paginate(rows, pick(params, 'start'));
      return {
        result: page.items.map((a) => activityView(core, a, select)),
        total: page.total,
        next: page.next,
      };
    },
  },
};
