import { CONFIG_GET_DEFAULT_WITH_QUEUE } from '../assumptions.ts';
import type { EmulatorCore } from '../core.ts';
import { fullName } from '../portal-core.ts';
import type { EmuLine, QueueEntry } from '../model.ts';
import { queueMembers } from '../openlines/availability.ts';
import { defaultLineConfig, NON_SCALAR_CONFIG_FIELDS } from '../openlines/line-config.ts';
import { type MethodTable, ok } from '../rest/context.ts';
import { matches, parseFilter, sortBy } from '../rest/list.ts';
import { asInt, asList, asObject, asStr, pick } from '../rest/params.ts';
import { restError } from '../rest/rest-error.ts';

const configIdEmpty = () => restError(400, 'CONFIG_ID_EMPTY', "Config ID can't be empty");

function baseView(line: EmuLine): Record<string, unknown> {
  return { ID: String(line.id), ...line.config, MODIFY_USER_ID: String(line.modifiedBy) };
}

function configQueue(line: EmuLine) {
  return line.queue.map((q) => ({ ENTITY_ID: String(q.entityId), ENTITY_TYPE: q.entityType }));
}

/** QUEUE, QUEUE_FULL, QUEUE_USERS_FIELDS as imopenlines.config.get shows them. */
function queueView(core: EmulatorCore, line: EmuLine, showOffline: boolean, withNames: boolean) {
  const members = queueMembers(core.state, line).filter(
    (m) => showOffline || core.state.users.get(m.userId)?.online,
  );
  const fields = (id: number) => {
    const u = core.state.users.get(id);
    return {
      USER_NAME: withNames && u ? fullName(u) : null,
      USER_WORK_POSITION: withNames && u?.workPosition ? u.workPosition : null,
      USER_AVATAR: withNames ? '' : null,
      USER_AVATAR_ID: withNames ? null : '0',
    };
  };
  return {
    members,
    full: Object.fromEntries(
      members.map((m, i) => [
        String(m.userId),
        {
          ID: String(200 + line.id * 50 + i),
          SORT: String(i),
          USER_ID: String(m.userId),
          DEPARTMENT_ID: String(m.departmentId),
          ...fields(m.userId),
        },
      ]),
    ),
    usersFields: Object.fromEntries(members.map((m) => [String(m.userId), fields(m.userId)])),
  };
}

/** QUEUE written as `[{ENTITY_TYPE, ENTITY_ID}]` (or, leniently, a list of user ids). */
export function parseQueue(raw: unknown): QueueEntry[] {
  return asList(raw).map((item) => {
    if (item && typeof item === 'object') {
      const o = item as Record<string, unknown>;
      const type = asStr(pick(o, 'ENTITY_TYPE')).toLowerCase() || 'user';
      const id = asInt(pick(o, 'ENTITY_ID'));
      if ((type !== 'user' && type !== 'department') || id === null) {
        throw restError(400, 'ERROR_ARGUMENT', 'QUEUE items need ENTITY_TYPE user|department and ENTITY_ID');
      }
      return { entityType: type, entityId: id } as QueueEntry;
    }
    const id = asInt(item);
    if (id === null)
      throw restError(400, 'ERROR_ARGUMENT', 'QUEUE items need ENTITY_TYPE user|department and ENTITY_ID');
    return { entityType: 'user', entityId: id } as QueueEntry;
  });
}

/** Merges PARAMS into a line's config (imopenlines.config.update / sim.addLine). */
export function applyLineParams(line: EmuLine, params: Record<string, unknown>, language: string): void {
  const known = defaultLineConfig('', language);
  for (const [key, value] of Object.entries(params)) {
    const k = key.toUpperCase();
    if (k === 'QUEUE') {
      line.queue = parseQueue(value);
      continue;
    }
    if (!(k in known)) continue;
    if (NON_SCALAR_CONFIG_FIELDS.has(k)) line.config[k] = value;
    else if (typeof value === 'boolean') line.config[k] = value ? 'Y' : 'N';
    else line.config[k] = value === null || value === undefined ? '' : String(value);
  }
}

const LIST_PARAMS = ['select', 'order', 'filter', 'limit', 'offset'];
const LIST_OPTIONS = ['QUEUE', 'CONFIG_QUEUE', 'CHECK_PERMISSION'];

/**
 * imopenlines-config-list-get.md, "Possible Error Codes": PARAMS may hold only select / order /
 * filter / limit / offset, OPTIONS only QUEUE / CONFIG_QUEUE / CHECK_PERMISSION, and QUEUE /
 * CONFIG_QUEUE are scalars; anything else is 400 INVALID_FORMAT with the documented wording.
 */
function checkListArguments(p: Record<string, unknown>, options: Record<string, unknown>): void {
  const badParams = Object.keys(p).filter((k) => !LIST_PARAMS.includes(k.toLowerCase()));
  if (badParams.length > 0)
    throw restError(400, 'INVALID_FORMAT', `Unsupported PARAMS fields are passed: ${badParams.join(', ')}`);
  const badOptions = Object.keys(options).filter((k) => !LIST_OPTIONS.includes(k.toUpperCase()));
  if (badOptions.length > 0)
    throw restError(400, 'INVALID_FORMAT', `Unsupported OPTIONS fields are passed: ${badOptions.join(', ')}`);
  for (const k of ['QUEUE', 'CONFIG_QUEUE']) {
    const v = pick(options, k);
    if (v !== undefined && v !== null && typeof v === 'object')
      throw restError(400, 'INVALID_FORMAT', `A wrong format for the OPTIONS field '${k}' is passed`);
  }
}

export const openlinesConfigMethods: MethodTable = {
  'imopenlines.config.get': {
    scope: 'imopenlines',
    handler: ({ core, params }) => {
      const id = asInt(pick(params, 'CONFIG_ID'));
      if (id === null || id <= 0) throw configIdEmpty();
      const line = core.state.lines.get(id);
      if (!line) return ok(false);
      const view = baseView(line);
      const withQueue =
        (asStr(pick(params, 'WITH_QUEUE')) || CONFIG_GET_DEFAULT_WITH_QUEUE).toUpperCase() === 'Y';
      const showOffline =
        (asStr(pick(params, 'SHOW_OFFLINE')) || CONFIG_GET_DEFAULT_WITH_QUEUE).toUpperCase() === 'Y';
      if (withQueue) {
        const q = queueView(core, line, showOffline, false);
        view.QUEUE = q.members.map((m) => String(m.userId));
        view.QUEUE_FULL = q.full;
        view.QUEUE_USERS_FIELDS = q.usersFields;
        view.QUEUE_ONLINE = q.members.some((m) => core.state.users.get(m.userId)?.online) ? 'Y' : 'N';
        // No CONFIG_QUEUE here: imopenlines-config-get.md does not list it; the configured entries
        // (departments included) are config.list.get's, with OPTIONS.CONFIG_QUEUE=Y.
      }
      return ok(view);
    },
  },
  'imopenlines.config.list.get': {
    scope: 'imopenlines',
    handler: ({ core, params }) => {
      const p = asObject(pick(params, 'PARAMS'));
      const options = asObject(pick(params, 'OPTIONS'));
      checkListArguments(p, options);
      const limit = Math.min(200, Math.max(1, asInt(pick(p, 'limit')) ?? 50));
      const offset = Math.max(0, asInt(pick(p, 'offset')) ?? 0);
      const conds = parseFilter(asObject(pick(p, 'filter')));
      const get = (l: EmuLine, f: string) => (f.toUpperCase() === 'ID' ? l.id : l.config[f.toUpperCase()]);
      let lines = [...core.state.lines.values()].filter((l) =>
        conds.every((c) => matches(get(l, c.field), c)),
      );
      const order = asObject(pick(p, 'order'));
      lines = sortBy(lines, Object.keys(order).length ? order : { ID: 'ASC' }, get);
      const select =
        pick(p, 'select') === undefined
          ? null
          : asList(pick(p, 'select')).map((s) => String(s).toUpperCase());
      const rows = lines.slice(offset, offset + limit).map((line) => {
        const full = baseView(line);
        const row: Record<string, unknown> = select
          ? Object.fromEntries(select.filter((k) => k in full).map((k) => [k, full[k]]))
          : full;
        const q = queueView(core, line, true, true);
        if (asStr(options.QUEUE).toUpperCase() === 'Y') {
          row.QUEUE = q.members.map((m) => m.userId);
          row.QUEUE_USERS_FIELDS = q.usersFields;
        }
        if (asStr(options.CONFIG_QUEUE).toUpperCase() === 'Y') row.CONFIG_QUEUE = configQueue(line);
        return row;
      });
      return ok(rows);
    },
  },
  'imopenlines.config.update': {
    scope: 'imopenlines',
    handler: ({ core, params, caller }) => {
      const id = asInt(pick(params, 'CONFIG_ID'));
      if (id === null || id <= 0) throw configIdEmpty();
      if (!caller.isAdmin) throw restError(403, 'CONFIG_WRONG_USER_PERMISSION', 'Permission denied');
      const line = core.state.lines.get(id);
      if (!line) return ok(false);
      applyLineParams(line, asObject(pick(params, 'PARAMS')), core.language);
      line.modifiedAt = core.clock();
      line.modifiedBy = caller.userId;
      return ok(true);
    },
  },
};
