import {
  ADMINS_HAVE_DIALOG_PERMISSION,
  BOT_METHODS_NEED_BOT_AS_OPERATOR,
  NO_OPEN_SESSION_ERROR,
  TRANSFER_UNKNOWN_CHAT_ERROR,
} from '../assumptions.ts';
import type { EmulatorCore } from '../core.ts';
import type { EmuBot, EmuChat, EmuSession } from '../model.ts';
import { dialogView, historyView } from '../openlines/chat-views.ts';
import type { Caller, MethodContext, MethodTable } from '../rest/context.ts';
import { ok } from '../rest/context.ts';
import { asBool, asInt, asStr, pick } from '../rest/params.ts';
import { restError } from '../rest/rest-error.ts';

const CONNECTOR_TITLES: Record<string, string> = {
  livechat: 'Live Chat',
  telegrambot: 'Telegram',
  whatsappbytwilio: 'WhatsApp',
  vkgroup: 'VK',
  network: 'Bitrix24.Network',
};

function canAccess(caller: Caller, chat: EmuChat, session: EmuSession | null): boolean {
  if (ADMINS_HAVE_DIALOG_PERMISSION && caller.isAdmin) return true;
  if (chat.memberIds.includes(caller.userId)) return true;
  return session?.offeredTo.includes(caller.userId) ?? false;
}

function appBot(core: EmulatorCore, clientId: string): EmuBot {
  const bot = [...core.state.bots.values()].find((b) => b.clientId === clientId);
  if (!bot) throw restError(400, 'BOT_ID_ERROR', 'Bot not found');
  return bot;
}

type Target = { userId: number } | { lineId: number };

/** USER_ID > QUEUE_ID > TRANSFER_ID ("<userId>" | "queue<lineId>"), validated against the portal. */
function transferTarget(ctx: MethodContext): Target {
  const { params, core } = ctx;
  let target: Target;
  const userRaw = pick(params, 'USER_ID');
  const queueRaw = pick(params, 'QUEUE_ID');
  const transferRaw = asStr(pick(params, 'TRANSFER_ID')).trim();
  if (userRaw !== undefined) {
    const id = asInt(userRaw);
    if (id === null || id <= 0) throw restError(400, 'USER_ID_EMPTY', "User ID can't be empty");
    target = { userId: id };
  } else if (queueRaw !== undefined) {
    const id = asInt(queueRaw);
    if (id === null || id <= 0) throw restError(400, 'QUEUE_ID_EMPTY', "QUEUE ID can't be empty");
    target = { lineId: id };
  } else if (transferRaw) {
    const m = /^queue(\d+)$/i.exec(transferRaw);
    const id = m ? Number(m[1]) : asInt(transferRaw);
    if (id === null || id <= 0)
      throw restError(400, 'TRANSFER_ID_EMPTY', "Queue ID or User ID can't be empty");
    target = m ? { lineId: id } : { userId: id };
  } else {
    throw restError(400, 'TRANSFER_ID_EMPTY', "Queue ID or User ID can't be empty");
  }
  const wrong = () => restError(400, 'OPERATOR_WRONG', 'You cannot redirect to this operator');
  if ('userId' in target) {
    const u = core.state.users.get(target.userId);
    if (!u?.active || u.refusesTransfers) throw wrong();
  }
  if ('lineId' in target && !core.state.lines.has(target.lineId)) throw wrong();
  return target;
}

function chatIdOrEmpty(ctx: MethodContext): number {
  const id = asInt(pick(ctx.params, 'CHAT_ID'));
  if (id === null || id <= 0) throw restError(400, 'CHAT_ID_EMPTY', "Chat ID can't be empty");
  return id;
}

/** operator.* methods: CHAT_ID / CHAT_TYPE / ACCESS_DENIED errors. */
function operatorChat(ctx: MethodContext): { chat: EmuChat; session: EmuSession | null } {
  const id = asInt(pick(ctx.params, 'CHAT_ID'));
  if (id === null || id <= 0) throw restError(400, 'CHAT_ID', 'The specified chat identifier is incorrect');
  const chat = ctx.core.state.chats.get(id);
  if (!chat) throw restError(400, 'CHAT_ID', 'The specified chat identifier is incorrect');
  const session = ctx.core.lines.activeSession(chat);
  if (!canAccess(ctx.caller, chat, session)) {
    throw restError(
      400,
      'ACCESS_DENIED',
      'You cannot open this conversation as you do not have sufficient rights',
    );
  }
  return { chat, session };
}

function noOpenSession(): never {
  throw restError(400, NO_OPEN_SESSION_ERROR.error, NO_OPEN_SESSION_ERROR.description);
}

export const openlinesDialogMethods: MethodTable = {
  'imopenlines.dialog.get': {
    scope: 'imopenlines',
    handler: ({ core, params, caller }) => {
      const state = core.state;
      let chat: EmuChat | undefined;
      const chatId = asInt(pick(params, 'CHAT_ID'));
      const dialogId = asStr(pick(params, 'DIALOG_ID'));
      const sessionId = asInt(pick(params, 'SESSION_ID'));
      const userCode = asStr(pick(params, 'USER_CODE'));
      if (chatId) chat = state.chats.get(chatId);
      else if (/^chat\d+$/.test(dialogId)) chat = state.chats.get(Number(dialogId.slice(4)));
      else if (sessionId) chat = state.chats.get(state.sessions.get(sessionId)?.chatId ?? -1);
      else if (userCode) chat = [...state.chats.values()].find((c) => c.userCode === userCode);
      if (!chat || !canAccess(caller, chat, core.lines.activeSession(chat))) {
        throw restError(400, 'ACCESS_ERROR', 'You do not have access to the specified dialog');
      }
      return ok(dialogView(core, chat, caller.userId));
    },
  },
  'imopenlines.session.history.get': {
    scope: 'imopenlines',
    handler: ({ core, params, caller }) => {
      const sessionId = asInt(pick(params, 'SESSION_ID'));
      const chatId = asInt(pick(params, 'CHAT_ID'));
      if (!sessionId && !chatId)
        throw restError(400, 'MISSING_REQUIRED_PARAM', 'Session ID or Chat ID must be provided');
      let session: EmuSession | undefined;
      if (sessionId) session = core.state.sessions.get(sessionId);
      else {
        const chat = core.state.chats.get(chatId!);
        const last = chat ? Math.max(0, ...chat.sessionIds) : 0;
        session = core.state.sessions.get(last);
      }
      if (!session)
        throw restError(400, 'INVALID_SESSION_ID', 'Unable to determine session ID from provided parameters');
      const chat = core.state.chats.get(session.chatId)!;
      if (!canAccess(caller, chat, core.lines.activeSession(chat))) {
        throw restError(
          400,
          'ACCESS_DENIED',
          'You cannot open this conversation as you do not have sufficient rights',
        );
      }
      return ok(historyView(core, chat, session));
    },
  },
  'imopenlines.crm.chat.get': {
    scope: 'imopenlines',
    handler: ({ core, params }) => {
      const type = asStr(pick(params, 'CRM_ENTITY_TYPE')).toUpperCase();
      if (!type) throw restError(400, 'ERROR_ARGUMENT', "Argument 'CRM_ENTITY_TYPE' is null or empty");
      const rawId = pick(params, 'CRM_ENTITY');
      if (rawId === undefined || rawId === '')
        throw restError(400, 'ERROR_ARGUMENT', "Argument 'CRM_ENTITY' is null or empty");
      const id = asInt(rawId);
      if (id === null)
        throw restError(400, 'ERROR_ARGUMENT', "The value of an argument 'CRM_ENTITY' has an invalid type");
      const activeOnly = asBool(pick(params, 'ACTIVE_ONLY'), true);
      const key = type as 'LEAD' | 'CONTACT' | 'COMPANY' | 'DEAL';
      const rows = [...core.state.chats.values()]
        .filter((c) => c.crm[key] === id && id > 0)
        .filter((c) => !activeOnly || c.activeSessionId !== null)
        .map((c) => ({
          CHAT_ID: String(c.id),
          CONNECTOR_ID: c.connectorId,
          CONNECTOR_TITLE: CONNECTOR_TITLES[c.connectorId] ?? c.connectorId,
        }));
      return ok(rows);
    },
  },
  'imopenlines.bot.session.transfer': {
    scope: 'imbot',
    handler: (ctx) => {
      const chatId = chatIdOrEmpty(ctx);
      const target = transferTarget(ctx);
      const bot = appBot(ctx.core, ctx.caller.clientId);
      const chat = ctx.core.state.chats.get(chatId);
      const session = chat ? ctx.core.lines.activeSession(chat) : null;
      if (!chat || !session || (BOT_METHODS_NEED_BOT_AS_OPERATOR && session.operatorId !== bot.id)) {
        throw restError(400, 'OPERATOR_WRONG', 'You cannot redirect to this operator');
      }
      ctx.core.lines.transfer(
        chat,
        session,
        target,
        { leaveBot: asBool(pick(ctx.params, 'LEAVE'), false) },
        ctx.hit,
      );
      return ok(true);
    },
  },
  'imopenlines.bot.session.operator': {
    scope: 'imbot',
    handler: (ctx) => {
      const chatId = chatIdOrEmpty(ctx);
      const chat = ctx.core.state.chats.get(chatId);
      const session = chat ? ctx.core.lines.activeSession(chat) : null;
      if (!chat || !session || session.status !== 'bot')
        throw restError(400, 'WRONG_CHAT', 'Operator is not a bot');
      ctx.core.lines.botToQueue(chat, session, ctx.hit);
      return ok(true);
    },
  },
  'imopenlines.bot.session.finish': {
    scope: 'imbot',
    handler: (ctx) => {
      const chatId = chatIdOrEmpty(ctx);
      const bot = appBot(ctx.core, ctx.caller.clientId);
      const chat = ctx.core.state.chats.get(chatId);
      const session = chat ? ctx.core.lines.activeSession(chat) : null;
      if (!chat || !session || (BOT_METHODS_NEED_BOT_AS_OPERATOR && session.operatorId !== bot.id)) {
        throw restError(400, 'WRONG_CHAT', 'Operator is not a bot');
      }
      ctx.core.lines.close(chat);
      return ok(true);
    },
  },
  'imopenlines.operator.transfer': {
    scope: 'imopenlines',
    handler: (ctx) => {
      const chatId = chatIdOrEmpty(ctx);
      const target = transferTarget(ctx);
      const chat = ctx.core.state.chats.get(chatId);
      if (!chat)
        throw restError(
          400,
          TRANSFER_UNKNOWN_CHAT_ERROR,
          'You cannot open this conversation as you do not have sufficient rights',
        );
      const session = ctx.core.lines.activeSession(chat);
      if (!canAccess(ctx.caller, chat, session)) {
        throw restError(
          400,
          'ACCESS_DENIED',
          'You cannot open this conversation as you do not have sufficient rights',
        );
      }
      if (!session || ('userId' in target && session.operatorId === target.userId)) {
        throw restError(400, 'OPERATOR_WRONG', 'You cannot redirect to this operator');
      }
      ctx.core.lines.transfer(chat, session, target, { leaveBot: true }, ctx.hit);
      return ok(true);
    },
  },
  'imopenlines.operator.answer': {
    scope: 'imopenlines',
    handler: (ctx) => {
      const { chat, session } = operatorChat(ctx);
      if (!session) noOpenSession();
      ctx.core.lines.answer(chat, ctx.caller.userId, ctx.hit);
      return ok(true);
    },
  },
  'imopenlines.operator.finish': {
    scope: 'imopenlines',
    handler: (ctx) => {
      const { chat, session } = operatorChat(ctx);
      if (!session || session.operatorId !== ctx.caller.userId) noOpenSession();
      ctx.core.lines.close(chat);
      return ok(true);
    },
  },
  'imopenlines.operator.another.finish': {
    scope: 'imopenlines',
    handler: (ctx) => {
      const { chat, session } = operatorChat(ctx);
      if (!session) noOpenSession();
      ctx.core.lines.close(chat);
      return ok(true);
    },
  },
};
