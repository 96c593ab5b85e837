import { findAnyUser } from '../portal-core.ts';
import { hms, isoDate, startOfLocalDay } from '../dates.ts';
import type { EmuUser } from '../model.ts';
import { type MethodTable, ok } from '../rest/context.ts';
import { matches, paginate, parseFilter, sortBy } from '../rest/list.ts';
import { asInt, asList, asObject, asStr, type Params, pick } from '../rest/params.ts';
import { restError } from '../rest/rest-error.ts';
import { imUserItem, userGetItem } from './user-views.ts';

const USER_GET_RESERVED = new Set([
  'SORT',
  'ORDER',
  'FILTER',
  'ADMIN_MODE',
  'SELECT',
  'IMAGE_RESIZE',
  'START',
  'AUTH',
  'AUTH_CONNECTOR',
]);

function userField(u: EmuUser, field: string): unknown {
  switch (field.toUpperCase()) {
    case 'ID':
      return u.id;
    case 'ACTIVE':
      return u.active;
    case 'NAME':
      return u.name;
    case 'LAST_NAME':
      return u.lastName;
    case 'SECOND_NAME':
      return u.secondName;
    case 'EMAIL':
      return u.email;
    case 'UF_DEPARTMENT':
      return u.departments;
    case 'IS_ONLINE':
      return u.online ? 'Y' : 'N';
    case 'USER_TYPE':
      return u.userType;
    case 'WORK_POSITION':
      return u.workPosition;
    case 'PERSONAL_GENDER':
      return u.gender;
    case 'LAST_ACTIVITY_DATE':
      return u.lastActivityAt;
    case 'NAME_SEARCH':
      return `${u.name} ${u.lastName} ${u.email} ${u.workPosition}`;
    default:
      return undefined;
  }
}

/** user.get: FILTER (or legacy top-level fields), sort/order, 50-row pages. */
function userGet(params: Params) {
  const filter = { ...asObject(pick(params, 'FILTER')) };
  for (const [k, v] of Object.entries(params)) {
    if (!USER_GET_RESERVED.has(k.toUpperCase())) filter[k] = v;
  }
  return { filter, sort: asStr(pick(params, 'SORT')) || 'ID', order: asStr(pick(params, 'ORDER')) || 'ASC' };
}

function timemanView(u: EmuUser, now: number, tz: number): Record<string, unknown> {
  const dayStart = startOfLocalDay(now, tz);
  const opened = u.timemanOpenedAt ?? dayStart + 9 * 3600_000;
  const base = {
    STATUS: u.timeman,
    TIME_START: isoDate(opened, tz),
    TIME_FINISH: null as string | null,
    DURATION: '00:00:00',
    TIME_LEAKS: u.timeman === 'PAUSED' ? '00:15:00' : '00:00:00',
    ACTIVE: true,
    IP_OPEN: '',
    IP_CLOSE: '',
    LAT_OPEN: 0,
    LON_OPEN: 0,
    LAT_CLOSE: 0,
    LON_CLOSE: 0,
    TZ_OFFSET: tz * 60,
  };
  if (u.timeman === 'CLOSED') {
    const finish = Math.max(opened, Math.min(now, opened + 8 * 3600_000));
    return { ...base, TIME_FINISH: isoDate(finish, tz), DURATION: hms(finish - opened) };
  }
  if (u.timeman === 'EXPIRED') {
    const start = Math.min(opened, dayStart - 15 * 3600_000);
    return {
      ...base,
      TIME_START: isoDate(start, tz),
      TIME_FINISH_DEFAULT: isoDate(start + 9 * 3600_000, tz),
    };
  }
  return base;
}

export const userMethods: MethodTable = {
  'user.current': {
    scope: 'user',
    handler: ({ core, caller }) => {
      const u = core.state.users.get(caller.userId);
      if (u) return ok(userGetItem(u, core));
      const any = findAnyUser(core.state, caller.userId);
      return ok({
        ID: String(caller.userId),
        ACTIVE: true,
        NAME: any?.name ?? '',
        LAST_NAME: any?.lastName ?? '',
        UF_DEPARTMENT: [],
      });
    },
  },
  'user.get': {
    scope: 'user',
    handler: ({ core, params }) => {
      const { filter, sort, order } = userGet(params);
      const conds = parseFilter(filter).filter((c) => c.field !== '');
      let users = [...core.state.users.values()].filter((u) =>
        conds.every((c) => {
          const v = userField(u, c.field);
          return v === undefined ? true : matches(v, c);
        }),
      );
      users = sortBy(users, { [sort.toUpperCase()]: order.toUpperCase() }, (u, f) => userField(u, f));
      const page = paginate(users, pick(params, 'start'));
      return { result: page.items.map((u) => userGetItem(u, core)), total: page.total, next: page.next };
    },
  },
  'department.get': {
    scope: 'department',
    handler: ({ core, params }) => {
      // Filter keys are upper case (SORT filters, lower-case sort names the sort field).
      const isFilterKey = (k: string) => /^(!=|>=|<=|!|=|>|<|%)?(ID|NAME|SORT|PARENT|UF_HEAD)$/.test(k);
      const conds = parseFilter(Object.fromEntries(Object.entries(params).filter(([k]) => isFilterKey(k))));
      const get = (
        d: { id: number; name: string; sort: number; parent: number | null; headId: number | null },
        f: string,
      ) =>
        ({ ID: d.id, NAME: d.name, SORT: d.sort, PARENT: d.parent ?? '', UF_HEAD: d.headId ?? '' })[
          f.toUpperCase()
        ];
      let deps = [...core.state.departments.values()].filter((d) =>
        conds.every((c) => matches(get(d, c.field), c)),
      );
      const sort = asStr(params.sort) || 'SORT';
      deps = sortBy(
        deps,
        { [sort.toUpperCase()]: asStr(params.order).toUpperCase() || 'ASC', ID: 'ASC' },
        get,
      );
      const page = paginate(deps, pick(params, 'START'));
      const items = page.items.map((d) => {
        const row: Record<string, unknown> = { ID: String(d.id), NAME: d.name, SORT: d.sort };
        if (d.parent !== null) row.PARENT = String(d.parent);
        if (d.headId !== null) row.UF_HEAD = String(d.headId);
        return row;
      });
      return { result: items, total: page.total, next: page.next };
    },
  },
  'im.user.list.get': {
    scope: 'im',
    handler: ({ core, params }) => {
      const ids = asList(pick(params, 'ID')).map(asInt);
      if (ids.length === 0 || ids.some((x) => x === null)) {
        throw restError(400, 'INVALID_FORMAT', 'A wrong format for the ID field is passed');
      }
      const entries: Array<[number, Record<string, unknown>]> = [];
      for (const id of ids as number[]) {
        const any = findAnyUser(core.state, id);
        if (any) entries.push([id, imUserItem(any, core)]);
      }
      if (asStr(pick(params, 'RESULT_TYPE')) === 'array') return ok(entries.map(([, v]) => v));
      return ok(Object.fromEntries(entries));
    },
  },
  'timeman.status': {
    scope: 'timeman',
    handler: ({ core, params, caller }) => {
      const id = asInt(pick(params, 'USER_ID')) ?? caller.userId;
      const u = core.state.users.get(id);
      if (!u) throw restError(400, '', 'User not found');
      return ok(timemanView(u, core.clock(), core.tzOffsetMin));
    },
  },
};
