import { randomUUID } from 'node:crypto';
import { V2_WEBHOOK_HAS_EVENT_HANDLER_ID } from '../assumptions.ts';
import type { PortalWithEvents } from '../events/bus.ts';
import { findAnyUser, fullName } from '../portal-core.ts';
import { isoDate, unixSec } from '../dates.ts';
import { v1EventUser, v2UserItem } from '../methods/user-views.ts';
import type { EmuBot, EmuChat, EmuMessage } from '../model.ts';
import { entityData1, entityData2, v2ChatView } from './chat-views.ts';

/**
 * Calls to a bot's own handlers, shaped like the documented examples of ONIMBOTJOINCHAT /
 * ONIMBOTMESSAGEADD / ONIMBOTDELETE (v1, data[BOT][<id>] token blocks) and ONIMBOTV2*
 * (webhook mode: data.bot.auth plus a top-level auth).
 */

function botTokenBlock(core: PortalWithEvents, bot: EmuBot, event: string): Record<string, unknown> {
  const block = core.events.authBlock({ event, userId: bot.id, scope: 'imbot', botStyle: true });
  // The documented order puts client_id and application_token after user_id/refresh_token.
  const { application_token, ...rest } = block;
  return { ...rest, client_id: bot.clientId, application_token };
}

function v1BotData(core: PortalWithEvents, bot: EmuBot, event: string): Record<string, unknown> {
  const auth = botTokenBlock(core, bot, event);
  return { [String(bot.id)]: { ...auth, AUTH: { ...auth }, BOT_ID: bot.id, BOT_CODE: bot.code } };
}

function topAuth(core: PortalWithEvents, event: string, actingUserId: number | null) {
  return core.events.authBlock({ event, userId: actingUserId, scope: 'imbot', botStyle: true });
}

function postV1(
  core: PortalWithEvents,
  url: string,
  event: string,
  handlerId: number,
  data: Record<string, unknown>,
  actingUserId: number | null,
) {
  core.events.postPayload(url, event, {
    event,
    event_handler_id: handlerId,
    data,
    ts: unixSec(core.clock()),
    auth: topAuth(core, event, actingUserId),
  });
}

function postV2(
  core: PortalWithEvents,
  bot: EmuBot,
  event: string,
  data: Record<string, unknown>,
  actingUserId: number | null,
) {
  if (bot.eventMode !== 'webhook' || !bot.webhookUrl) return;
  const botAuth = core.events.authBlock({
    event,
    userId: bot.id,
    scope: 'imbot',
    botStyle: true,
    withRefresh: true,
  });
  const payload: Record<string, unknown> = { event };
  if (V2_WEBHOOK_HAS_EVENT_HANDLER_ID) payload.event_handler_id = bot.handlerIds.webhook;
  payload.data = { bot: { id: bot.id, code: bot.code, auth: botAuth }, ...data };
  payload.ts = unixSec(core.clock());
  payload.auth = core.events.authBlock({ event, userId: actingUserId, scope: 'imbot' });
  core.events.postPayload(bot.webhookUrl, event, payload, 'empty');
}

const staffOrNull = (core: PortalWithEvents, id: number) => (core.state.users.has(id) ? id : null);

/** The bot was added to an open-line chat (by the client's new session, or by `addedBy`). */
export function sendBotJoin(core: PortalWithEvents, bot: EmuBot, chat: EmuChat, addedBy: number): void {
  const adder = findAnyUser(core.state, addedBy);
  if (bot.version === 2) {
    postV2(
      core,
      bot,
      'ONIMBOTV2JOINCHAT',
      {
        dialogId: `chat${chat.id}`,
        chat: v2ChatView(core, chat),
        user: adder ? v2UserItem(adder, core) : {},
        language: core.language,
      },
      staffOrNull(core, addedBy),
    );
    return;
  }
  if (!bot.handlers.welcome) return;
  postV1(
    core,
    bot.handlers.welcome,
    'ONIMBOTJOINCHAT',
    bot.handlerIds.welcome,
    {
      BOT: v1BotData(core, bot, 'ONIMBOTJOINCHAT'),
      PARAMS: {
        CHAT_TYPE: 'L',
        MESSAGE_TYPE: 'L',
        BOT_ID: bot.id,
        USER_ID: addedBy,
        CHAT_ID: chat.id,
        CHAT_AUTHOR_ID: chat.clientId,
        CHAT_ENTITY_TYPE: 'LINES',
        CHAT_ENTITY_ID: chat.userCode,
        ACCESS_HISTORY: 1,
        DIALOG_ID: `chat${chat.id}`,
        LANGUAGE: core.language,
      },
      USER: v1EventUser(adder),
    },
    staffOrNull(core, addedBy),
  );
}

/** A message in a chat the bot is a member of. */
export function sendBotMessage(
  core: PortalWithEvents,
  bot: EmuBot,
  chat: EmuChat,
  msg: EmuMessage,
  prevMessageId: number,
): void {
  const author = findAnyUser(core.state, msg.authorId);
  if (bot.version === 2) {
    postV2(
      core,
      bot,
      'ONIMBOTV2MESSAGEADD',
      {
        message: {
          id: msg.id,
          chatId: chat.id,
          authorId: msg.authorId,
          date: isoDate(msg.date, core.tzOffsetMin),
          text: msg.text,
          isSystem: msg.authorId === 0,
          uuid: '',
          forward: null,
          params: {},
          viewedByOthers: false,
        },
        chat: v2ChatView(core, chat),
        user: author ? v2UserItem(author, core) : {},
        language: core.language,
      },
      staffOrNull(core, msg.authorId),
    );
    return;
  }
  if (!bot.handlers.messageAdd) return;
  postV1(
    core,
    bot.handlers.messageAdd,
    'ONIMBOTMESSAGEADD',
    bot.handlerIds.messageAdd,
    {
      BOT: v1BotData(core, bot, 'ONIMBOTMESSAGEADD'),
      PARAMS: {
        MESSAGE: msg.text,
        TEMPLATE_ID: randomUUID(),
        MESSAGE_TYPE: 'L',
        FROM_USER_ID: msg.authorId,
        DIALOG_ID: `chat${chat.id}`,
        TO_CHAT_ID: chat.id,
        AUTHOR_ID: msg.authorId,
        SYSTEM: msg.authorId === 0 ? 'Y' : 'N',
        CHAT_ID: chat.id,
        CHAT_TITLE: chat.name,
        CHAT_AUTHOR_ID: chat.clientId,
        CHAT_TYPE: 'L',
        CHAT_AVATAR: '0',
        CHAT_COLOR: 'MINT',
        CHAT_ENTITY_TYPE: 'LINES',
        CHAT_ENTITY_ID: chat.userCode,
        CHAT_ENTITY_DATA_1: entityData1(core, chat),
        CHAT_ENTITY_DATA_2: entityData2(chat),
        CHAT_ENTITY_DATA_3: 'N',
        CHAT_EXTRANET: 'N',
        CHAT_PREV_MESSAGE_ID: prevMessageId,
        CHAT_CAN_POST: 'MEMBER',
        IS_MANAGER: 'N',
        CHAT_USER_COUNT: chat.memberIds.length,
        MESSAGE_ID: msg.id,
        LANGUAGE: core.language,
      },
      USER: v1EventUser(author),
    },
    staffOrNull(core, msg.authorId),
  );
}

/** The bot was deleted (imbot.unregister or app uninstall). */
export function sendBotDelete(core: PortalWithEvents, bot: EmuBot, byUserId: number | null): void {
  if (bot.version === 2) {
    postV2(core, bot, 'ONIMBOTV2DELETE', {}, byUserId);
    return;
  }
  if (!bot.handlers.botDelete) return;
  postV1(
    core,
    bot.handlers.botDelete,
    'ONIMBOTDELETE',
    bot.handlerIds.botDelete,
    { BOT_ID: bot.id, BOT_CODE: bot.code },
    byUserId,
  );
}

export function botDisplayName(bot: EmuBot): string {
  return fullName(bot);
}
