import {
  DUPLICATE_BIND_ERROR,
  MISSING_HANDLER_ERROR,
  ONAPPTEST_QUERY_IS_CALL_PARAMS,
} from '../assumptions.ts';
import { KNOWN_EVENTS } from '../events/bus.ts';
import type { EventBinding } from '../model.ts';
import { nextId } from '../model.ts';
import { type MethodTable, ok } from '../rest/context.ts';
import { asInt, asObject, asStr, pick } from '../rest/params.ts';
import { restError, SystemErrors } from '../rest/rest-error.ts';

// Bot handlers (imbot.register) live on the bot, not here, so event.get never lists them
// (assumptions.BOT_HANDLERS_VISIBLE_IN_EVENT_GET).

export const eventMethods: MethodTable = {
  'event.bind': {
    scope: null,
    handler: ({ core, params, caller }) => {
      const event = asStr(pick(params, 'event')).toUpperCase();
      const handler = asStr(pick(params, 'handler'));
      const offline = asStr(pick(params, 'event_type')).toLowerCase() === 'offline';
      const authType = asInt(pick(params, 'auth_type')) ?? 0;
      const authConnector = asStr(pick(params, 'auth_connector'));
      const options = asObject(pick(params, 'options'));
      if (!KNOWN_EVENTS.has(event)) throw restError(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found');
      if (offline && !caller.isAdmin) {
        throw SystemErrors.accessDenied(
          'Access denied! Offline events binding requires administrator access rights',
        );
      }
      if (authType > 0 && authType !== caller.userId && !caller.isAdmin) {
        throw SystemErrors.accessDenied(
          'Access denied! Event binding with AUTH_TYPE requires administrator access rights',
        );
      }
      if (!offline && !handler)
        throw restError(400, MISSING_HANDLER_ERROR.error, MISSING_HANDLER_ERROR.description);
      const duplicate = [...core.state.bindings.values()].some(
        (b) =>
          b.clientId === caller.clientId &&
          b.event === event &&
          b.offline === offline &&
          (offline ? b.authConnector === authConnector : b.handler === handler) &&
          b.authType === authType,
      );
      if (duplicate) throw restError(400, DUPLICATE_BIND_ERROR.error, DUPLICATE_BIND_ERROR.description);
      const binding: EventBinding = {
        id: nextId(core.state, 'binding'),
        event,
        handler: offline ? '' : handler,
        authType,
        offline,
        authConnector,
        options,
        clientId: caller.clientId,
        createdBy: caller.userId,
      };
      core.state.bindings.set(binding.id, binding);
      return ok(true);
    },
  },
  'event.unbind': {
    scope: null,
    handler: ({ core, params, caller }) => {
      const event = asStr(pick(params, 'event')).toUpperCase();
      const handler = asStr(pick(params, 'handler'));
      const offline = asStr(pick(params, 'event_type')).toLowerCase() === 'offline';
      const authTypeRaw = pick(params, 'auth_type');
      const authType = authTypeRaw === undefined ? null : (asInt(authTypeRaw) ?? 0);
      if (offline && !caller.isAdmin) {
        throw SystemErrors.accessDenied(
          'Access denied! Offline events unbinding requires administrator access rights',
        );
      }
      if (authType !== null && authType > 0 && authType !== caller.userId && !caller.isAdmin) {
        throw SystemErrors.accessDenied(
          'Access denied! Event unbinding with AUTH_TYPE requires administrator access rights',
        );
      }
      let count = 0;
      for (const b of [...core.state.bindings.values()]) {
        if (b.clientId !== caller.clientId) continue;
        if (event && b.event !== event) continue;
        if (b.offline !== offline) continue;
        if (!offline && handler && b.handler !== handler) continue;
        if (authType !== null && b.authType !== authType) continue;
        if (!caller.isAdmin && b.createdBy !== caller.userId) continue;
        core.state.bindings.delete(b.id);
        count++;
      }
      return ok({ count });
    },
  },
  // events/test-handler.md: ONAPPTEST to the app's handlers, the call's parameters in
  // data.QUERY (assumptions.ONAPPTEST_QUERY_IS_CALL_PARAMS), the caller's tokens in auth.
  'event.test': {
    scope: null,
    handler: ({ core, params, caller, hit }) => {
      core.events.fire(
        'ONAPPTEST',
        { QUERY: ONAPPTEST_QUERY_IS_CALL_PARAMS ? params : {}, LANGUAGE_ID: core.language },
        { actingUserId: caller.userId, hit },
      );
      return ok(1);
    },
  },
  'event.get': {
    scope: null,
    handler: ({ core, caller }) => {
      const rows = [...core.state.bindings.values()]
        .filter((b) => b.clientId === caller.clientId)
        .filter((b) => caller.isAdmin || b.createdBy === caller.userId || b.authType === caller.userId)
        .map((b) => {
          const row: Record<string, unknown> = {
            event: b.event,
            handler: b.handler,
            auth_type: String(b.authType),
            offline: b.offline ? 1 : 0,
          };
          if (b.offline && b.authConnector) row.auth_connector = b.authConnector;
          return row;
        });
      return ok(rows);
    },
  },
};
