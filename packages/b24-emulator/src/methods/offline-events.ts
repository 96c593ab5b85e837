import { randomBytes } from 'node:crypto';
import { OFFLINE_ERROR_RELEASES_RESERVATION, OFFLINE_MISSING_PROCESS_ID_ERROR } from '../assumptions.ts';
import type { EmulatorCore } from '../core.ts';
import { isoDate } from '../dates.ts';
import type { OfflineRecord } from '../model.ts';
import { type MethodContext, type MethodTable, ok } from '../rest/context.ts';
import { matches, paginate, parseFilter, sortBy } from '../rest/list.ts';
import { asBool, asInt, asList, asObject, asStr, pick } from '../rest/params.ts';
import { restError, SystemErrors } from '../rest/rest-error.ts';

function field(core: EmulatorCore, r: OfflineRecord, f: string): unknown {
  switch (f.toUpperCase()) {
    case 'ID':
      return r.id;
    case 'TIMESTAMP_X':
      // compare as ISO strings in the portal's zone, which sort like the times they show
      return isoDate(r.timestampX, core.tzOffsetMin);
    case 'EVENT_NAME':
      return r.eventName;
    case 'MESSAGE_ID':
      return r.messageId;
    case 'PROCESS_ID':
      return r.processId;
    case 'ERROR':
      return r.error ? '1' : '0';
    default:
      return undefined;
  }
}

function view(core: EmulatorCore, r: OfflineRecord, withState: boolean): Record<string, unknown> {
  const row: Record<string, unknown> = {
    ID: String(r.id),
    TIMESTAMP_X: isoDate(r.timestampX, core.tzOffsetMin),
    EVENT_NAME: r.eventName,
    EVENT_DATA: r.eventData,
    EVENT_ADDITIONAL: r.eventAdditional,
    MESSAGE_ID: r.messageId,
  };
  if (withState) {
    row.PROCESS_ID = r.processId;
    row.ERROR = r.error ? '1' : '0';
  }
  return row;
}

function adminOnly(ctx: MethodContext): void {
  if (!ctx.caller.isAdmin) throw SystemErrors.accessDenied('Access denied!');
}

function selected(
  ctx: MethodContext,
  allowedFields: string[],
  defaultOrder: Record<string, string>,
): OfflineRecord[] {
  const { core, params } = ctx;
  const connector = asStr(pick(params, 'auth_connector'));
  const conds = parseFilter(asObject(pick(params, 'filter')));
  for (const c of conds) {
    if (!allowedFields.includes(c.field.toUpperCase())) {
      throw restError(
        400,
        'INVALID_ARG_VALUE',
        `Invalid filter: field '${c.field}' is not allowed in filter`,
      );
    }
  }
  const order = asObject(pick(params, 'order'));
  const rows = [...core.state.offlineQueue.values()].filter(
    (r) => r.authConnector === connector && conds.every((c) => matches(field(core, r, c.field), c)),
  );
  return sortBy(rows, Object.keys(order).length ? order : defaultOrder, (r, f) =>
    f.toUpperCase() === 'TIMESTAMP_X' ? r.timestampX : field(core, r, f),
  );
}

function requireProcessId(ctx: MethodContext): string {
  const processId = asStr(pick(ctx.params, 'process_id'));
  if (!processId)
    throw restError(
      400,
      OFFLINE_MISSING_PROCESS_ID_ERROR.error,
      OFFLINE_MISSING_PROCESS_ID_ERROR.description,
    );
  return processId;
}

export const offlineEventMethods: MethodTable = {
  'event.offline.get': {
    scope: null,
    handler: (ctx) => {
      adminOnly(ctx);
      const { core, params } = ctx;
      const limit = Math.max(1, asInt(pick(params, 'limit')) ?? 50);
      const clear = asBool(pick(params, 'clear'), true);
      const wantErrors = asBool(pick(params, 'error'), false);
      const processId = asStr(pick(params, 'process_id'));
      const fields = ['ID', 'TIMESTAMP_X', 'EVENT_NAME', 'MESSAGE_ID'];
      const candidates = selected(ctx, fields, { TIMESTAMP_X: 'ASC', ID: 'ASC' }).filter((r) =>
        processId ? r.processId === processId : r.processId === '' && r.error === wantErrors,
      );
      const batch = candidates.slice(0, limit);
      let answerProcessId: string | null = processId || null;
      if (clear) {
        for (const r of batch) core.state.offlineQueue.delete(r.id);
        answerProcessId = null;
      } else if (!processId) {
        answerProcessId = randomBytes(16).toString('hex');
        for (const r of batch) r.processId = answerProcessId;
      }
      return ok({ process_id: answerProcessId, events: batch.map((r) => view(core, r, false)) });
    },
  },
  'event.offline.list': {
    scope: null,
    handler: (ctx) => {
      adminOnly(ctx);
      const rows = selected(ctx, ['ID', 'TIMESTAMP_X', 'EVENT_NAME', 'MESSAGE_ID', 'PROCESS_ID', 'ERROR'], {
        ID: 'ASC',
      });
      const page = paginate(rows, pick(ctx.params, 'start'));
      return { result: page.items.map((r) => view(ctx.core, r, true)), total: page.total, next: page.next };
    },
  },
  'event.offline.clear': {
    scope: null,
    handler: (ctx) => {
      adminOnly(ctx);
      const processId = requireProcessId(ctx);
      const ids = asList(pick(ctx.params, 'id')).map((x) => asInt(x));
      const messageIds = asList(pick(ctx.params, 'message_id')).map((x) => asStr(x));
      for (const r of [...ctx.core.state.offlineQueue.values()]) {
        if (r.processId !== processId) continue;
        if (ids.length > 0 ? !ids.includes(r.id) : messageIds.length > 0 && !messageIds.includes(r.messageId))
          continue;
        ctx.core.state.offlineQueue.delete(r.id);
      }
      return ok(true);
    },
  },
  'event.offline.error': {
    scope: null,
    handler: (ctx) => {
      adminOnly(ctx);
      const processId = requireProcessId(ctx);
      const messageIds = asList(pick(ctx.params, 'message_id')).map((x) => asStr(x));
      for (const r of ctx.core.state.offlineQueue.values()) {
        if (r.processId !== processId || !messageIds.includes(r.messageId)) continue;
        r.error = true;
        if (OFFLINE_ERROR_RELEASES_RESERVATION) r.processId = '';
      }
      return ok(true);
    },
  },
};
