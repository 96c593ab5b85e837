import { NOTIFY_TAG_REPLACES_PER_RECIPIENT } from '../assumptions.ts';
import { type EmuNotification, nextId } from '../model.ts';
import { type MethodTable, ok } from '../rest/context.ts';
import { asInt, asStr, pick } from '../rest/params.ts';
import { restError } from '../rest/rest-error.ts';

/**
 * im.notify.system.add (api-reference/chats/notifications/im-notify-system-add.md): a system
 * notification to one user. Every call is recorded in `state.notifications`, so tests can
 * assert on what each person was told; a TAG replaces the app's earlier notifications with
 * that tag (documented: "other notifications will be removed"), which is what makes a resend
 * after a lost answer show once.
 */
export const notifyMethods: MethodTable = {
  'im.notify.system.add': {
    scope: 'im',
    handler: ({ core, params, caller }) => {
      const userId = asInt(pick(params, 'USER_ID'));
      if (userId === null || userId <= 0) throw restError(400, 'USER_ID_EMPTY', "User ID can't be empty");
      const message = asStr(pick(params, 'MESSAGE')).trim();
      if (!message) throw restError(400, 'MESSAGE_EMPTY', "Message can't be empty");
      const attach = pick(params, 'ATTACH');
      if (attach !== undefined && JSON.stringify(attach).length > 60_000)
        throw restError(400, 'ATTACH_OVERSIZE', 'You have exceeded the maximum allowable size of attach');
      const tag = asStr(pick(params, 'TAG'));
      const clientId = asStr(pick(params, 'CLIENT_ID')) || caller.clientId;
      if (tag) {
        for (const n of core.state.notifications) {
          const sameRecipient = !NOTIFY_TAG_REPLACES_PER_RECIPIENT || n.userId === userId;
          if (!n.replaced && n.tag === tag && n.clientId === clientId && sameRecipient) n.replaced = true;
        }
      }
      const n: EmuNotification = {
        id: nextId(core.state, 'notification'),
        userId,
        message,
        messageOut: asStr(pick(params, 'MESSAGE_OUT')),
        tag,
        subTag: asStr(pick(params, 'SUB_TAG')),
        clientId,
        authorId: caller.userId,
        date: core.clock(),
        replaced: false,
      };
      core.state.notifications.push(n);
      return ok(n.id);
    },
  },
};
