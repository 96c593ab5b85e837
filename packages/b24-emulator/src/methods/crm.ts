import { TIMELINE_LIST_MISSING_FILTER_ERROR } from '../assumptions.ts';
import {
  addItem,
  dealSemantic,
  fmMatches,
  findByComm,
  parseEntityTypeId,
  touchTimeline,
  updateItem,
} from '../crm/store.ts';
import { itemView, leadLegacyView, selectView } from '../crm/views.ts';
import { isoDate } from '../dates.ts';
import { type CrmItem, crmMap, nextId } from '../model.ts';
import { type MethodTable, ok } from '../rest/context.ts';
import { type FilterCondition, matches, paginate, parseFilter, sortBy } from '../rest/list.ts';
import { asInt, asList, asObject, asStr, phpArray, pick } from '../rest/params.ts';
import { restError } from '../rest/rest-error.ts';

const ITEM_FIELDS: Record<string, (i: CrmItem) => unknown> = {
  id: (i) => i.id,
  assignedbyid: (i) => i.assignedById,
  createdby: (i) => i.createdBy,
  updatedby: (i) => i.updatedBy,
  sourceid: (i) => i.sourceId,
  stageid: (i) => i.stageId,
  statusid: (i) => i.stageId,
  typeid: (i) => i.stageId,
  title: (i) => i.title,
  name: (i) => i.name,
  lastname: (i) => i.lastName,
  companyid: (i) => i.companyId,
  contactid: (i) => i.contactId,
  opened: (i) => i.opened,
  categoryid: (i) => i.categoryId,
  leadid: (i) => i.leadId,
  stagesemanticid: (i) =>
    i.entityTypeId === 2
      ? dealSemantic(i.stageId)
      : i.stageId === 'CONVERTED'
        ? 'S'
        : i.stageId === 'JUNK'
          ? 'F'
          : 'P',
  createdtime: (i) => i.createdAt,
  updatedtime: (i) => i.updatedAt,
  movedby: (i) => i.movedBy,
  movedtime: (i) => i.movedTime,
  lastactivityby: (i) => i.lastActivityBy,
  lastactivitytime: (i) => i.lastActivityTime,
};

const TIME_FIELDS = new Set(['createdtime', 'updatedtime', 'movedtime', 'lastactivitytime']);

function itemMatches(item: CrmItem, c: FilterCondition): boolean {
  const key = c.field.toLowerCase();
  if (key === 'phone' || key === 'email' || key === 'imol') {
    const typeId = key === 'phone' ? 'PHONE' : key === 'email' ? 'EMAIL' : 'IM';
    const wanted = Array.isArray(c.value) ? c.value.map(String) : [String(c.value)];
    const hit = item.fm.some((f) => wanted.some((w) => fmMatches(f, typeId, w)));
    return c.op.startsWith('!') ? !hit : hit;
  }
  const get = ITEM_FIELDS[key];
  let value = c.value;
  if (TIME_FIELDS.has(key) && typeof value === 'string') value = Date.parse(value);
  return matches(get(item), { ...c, value });
}

function checkFields(keys: string[], where: 'filter' | 'order'): void {
  for (const k of keys) {
    const key = k.toLowerCase();
    if (!(key in ITEM_FIELDS) && !['phone', 'email', 'imol'].includes(key)) {
      throw restError(400, 'INVALID_ARG_VALUE', `Invalid ${where}: field '${k}' is not allowed in ${where}`);
    }
  }
}

const TIMELINE_TYPES: Record<string, 1 | 2 | 3 | 4> = { lead: 1, deal: 2, contact: 3, company: 4 };

export const crmMethods: MethodTable = {
  'crm.item.get': {
    scope: 'crm',
    handler: ({ core, params }) => {
      const type = parseEntityTypeId(pick(params, 'entityTypeId'));
      const item = crmMap(core.state, type).get(asInt(pick(params, 'id')) ?? -1);
      if (!item) throw restError(400, 'NOT_FOUND', 'Element not found');
      return ok({ item: itemView(core, item, true) });
    },
  },
  'crm.item.list': {
    scope: 'crm',
    handler: ({ core, params }) => {
      const type = parseEntityTypeId(pick(params, 'entityTypeId'));
      const filter = { ...asObject(pick(params, 'filter')) };
      delete filter.logic;
      const conds = parseFilter(filter);
      checkFields(
        conds.map((c) => c.field),
        'filter',
      );
      const order = asObject(pick(params, 'order'));
      checkFields(Object.keys(order), 'order');
      const select = pick(params, 'select') === undefined ? null : asList(pick(params, 'select')).map(String);
      let items = [...crmMap(core.state, type).values()].filter((i) => conds.every((c) => itemMatches(i, c)));
      items = sortBy(items, Object.keys(order).length ? order : { id: 'ASC' }, (i, f) =>
        ITEM_FIELDS[f.toLowerCase()]?.(i),
      );
      const page = paginate(items, pick(params, 'start'));
      return {
        result: { items: page.items.map((i) => selectView(core, i, select)) },
        total: page.total,
        next: page.next,
      };
    },
  },
  'crm.item.add': {
    scope: 'crm',
    handler: ({ core, params, caller, hit }) => {
      const type = parseEntityTypeId(pick(params, 'entityTypeId'));
      const fields = asObject(pick(params, 'fields'));
      const item = addItem(core, type, fields, caller.userId, hit);
      return ok({ item: itemView(core, item, true) });
    },
  },
  'crm.item.update': {
    scope: 'crm',
    handler: ({ core, params, caller, hit }) => {
      const type = parseEntityTypeId(pick(params, 'entityTypeId'));
      const id = asInt(pick(params, 'id'));
      if (id === null) throw restError(400, 'NOT_FOUND', 'Element not found');
      const item = updateItem(core, type, id, asObject(pick(params, 'fields')), caller.userId, hit);
      return ok({ item: itemView(core, item, true) });
    },
  },
  'crm.category.list': {
    scope: 'crm',
    handler: ({ core, params }) => {
      if (parseEntityTypeId(pick(params, 'entityTypeId')) !== 2) return ok({ categories: [] });
      const categories = [...core.state.crm.dealCategories.values()]
        .sort((a, b) => a.sort - b.sort || a.id - b.id)
        .map((c) => ({
          id: c.id,
          name: c.name,
          sort: c.sort,
          entityTypeId: 2,
          isDefault: c.isDefault ? 'Y' : 'N',
        }));
      return { result: { categories }, total: categories.length };
    },
  },
  'crm.lead.get': {
    scope: 'crm',
    handler: ({ core, params }) => {
      const id = asInt(pick(params, 'id'));
      if (id === null || id <= 0) throw restError(400, '', 'ID is not defined or invalid');
      const item = core.state.crm.leads.get(id);
      if (!item) throw restError(400, '', 'Not found');
      return ok(leadLegacyView(core, item));
    },
  },
  'crm.duplicate.findbycomm': {
    scope: 'crm',
    handler: ({ core, params }) => {
      const type = asStr(pick(params, 'type')).toUpperCase();
      if (!type) throw restError(400, 'Communication type is not defined', "Parameter 'type' is required.");
      if (type !== 'PHONE' && type !== 'EMAIL') {
        throw restError(400, `Communication type '${type}' is not supported in current context`, '');
      }
      const values = asList(pick(params, 'values')).map(String).filter(Boolean).slice(0, 20);
      if (values.length === 0)
        throw restError(400, 'Communication values is not defined', "Parameter 'values' is required.");
      const only = asStr(pick(params, 'entity_type')).toUpperCase();
      const found = findByComm(
        core,
        type,
        values,
        only ? (only as 'LEAD' | 'CONTACT' | 'COMPANY') : undefined,
      );
      return ok(phpArray(found));
    },
  },
  'crm.timeline.comment.add': {
    scope: 'crm',
    handler: ({ core, params, caller }) => {
      const fields =
        params.fields && typeof params.fields === 'object'
          ? (params.fields as Record<string, unknown>)
          : null;
      const entityId = asInt(fields?.ENTITY_ID);
      const entityType = asStr(fields?.ENTITY_TYPE).toLowerCase();
      if (!fields || entityId === null || !entityType)
        throw restError(400, '100', 'Required fields are not provided');
      const comment = asStr(fields.COMMENT);
      if (!comment.trim()) throw restError(400, 'INVALID_ARG_VALUE', 'Empty comment');
      const typeId = TIMELINE_TYPES[entityType];
      if (!typeId || !crmMap(core.state, typeId).has(entityId))
        throw restError(400, 'OWNER_NOT_FOUND', 'Owner of the item not found');
      const id = nextId(core.state, 'comment');
      core.state.crm.comments.set(id, {
        id,
        entityType,
        entityId,
        comment,
        authorId: asInt(fields.AUTHOR_ID) ?? caller.userId,
        createdAt: core.clock(),
      });
      touchTimeline(core, typeId, entityId, asInt(fields.AUTHOR_ID) ?? caller.userId);
      return ok(id);
    },
  },
  'crm.timeline.comment.list': {
    scope: 'crm',
    handler: ({ core, params }) => {
      const filter = asObject(pick(params, 'filter'));
      const entityId = asInt(pick(filter, 'ENTITY_ID'));
      const entityType = asStr(pick(filter, 'ENTITY_TYPE')).toLowerCase();
      if (entityId === null || !entityType) {
        throw restError(
          400,
          TIMELINE_LIST_MISSING_FILTER_ERROR.error,
          TIMELINE_LIST_MISSING_FILTER_ERROR.description,
        );
      }
      const order = asObject(pick(params, 'order'));
      let rows = [...core.state.crm.comments.values()].filter(
        (c) => c.entityId === entityId && c.entityType === entityType,
      );
      rows = sortBy(
        rows,
        Object.keys(order).length ? order : { ID: 'ASC' },
        (c, f) => ({ ID: c.id, CREATED: c.createdAt, AUTHOR_ID: c.authorId })[f.toUpperCase()],
      );
      const page = paginate(rows, pick(params, 'start'));
      const result = page.items.map((c) => ({
        ID: String(c.id),
        ENTITY_ID: String(c.entityId),
        ENTITY_TYPE: c.entityType,
        CREATED: isoDate(c.createdAt, core.tzOffsetMin),
        COMMENT: c.comment,
        AUTHOR_ID: String(c.authorId),
        FILES: {},
      }));
      return { result, total: page.total, next: page.next };
    },
  },
};
