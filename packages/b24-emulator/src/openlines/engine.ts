import {
  ALL_MODE_OFFERS_TO_EVERYONE,
  BOT_STAYS_UNTIL_ANSWER_WHEN_LEAVE_N,
  CLOSE_RESETS_OWNER,
  NATIVE_RETRY_INTERVAL_SEC,
  QUEUE_TIME_ONLY_FOR_NATIVE_ASSIGNMENTS,
  QUEUE_TRANSFER_MOVES_SESSION_LINE,
  WELCOME_BOT_TIME_ZERO_MEANS_NEVER,
  V2_BOT_NEEDS_OPENLINE_SUPPORT,
} from '../assumptions.ts';
import type { PortalWithEvents } from '../events/bus.ts';
import type { Hit } from '../portal-core.ts';
import type { EmuBot, EmuChat, EmuLine, EmuMessage, EmuSession } from '../model.ts';
import { nextId } from '../model.ts';
import { isAvailable, operatorLoads, queueMembers } from './availability.ts';
import { bindCrm, followCrmResponsible } from './crm-binding.ts';
import { type ClientWrite, DialogRecords } from './dialog-records.ts';
import { pickNative } from './native-queue.ts';
import { sendBotJoin, sendBotMessage } from './bot-events.ts';
import { configNumber, configString } from './line-config.ts';

export interface ClientWriteResult {
  chatId: number;
  sessionId: number;
  isNewSession: boolean;
}

/** Thrown by simulation verbs on misuse (unknown chat, …); REST methods map states to REST errors themselves. */
export class SimError extends Error {}

/**
 * Open-line dialogs: chats, sessions, messages, the welcome bot, and Bitrix24's own queue
 * (evenly / strictly / all, availability, MAX_CHAT, QUEUE_TIME, CRM_FORWARD).
 */
export class OpenLinesEngine {
  private readonly records: DialogRecords;

  constructor(private readonly core: PortalWithEvents) {
    this.records = new DialogRecords(core);
  }

  private get state() {
    return this.core.state;
  }

  private now(): number {
    return this.core.clock();
  }

  line(id: number): EmuLine {
    const line = this.state.lines.get(id);
    if (!line) throw new SimError(`no open line ${id}`);
    return line;
  }

  chat(id: number): EmuChat {
    const chat = this.state.chats.get(id);
    if (!chat) throw new SimError(`no open-line chat ${id}`);
    return chat;
  }

  activeSession(chat: EmuChat): EmuSession | null {
    return chat.activeSessionId ? (this.state.sessions.get(chat.activeSessionId) ?? null) : null;
  }

  // ------------------------------------------------------------------ client side

  clientWrites(w: ClientWrite, hit: Hit = this.core.newHit()): ClientWriteResult {
    const line = this.line(w.lineId);
    const client = this.records.findOrCreateClient(w);
    const chat = this.records.findOrCreateChat(client, line);
    let session = this.activeSession(chat);
    const isNewSession = session === null;
    if (!session) session = this.records.startSession(chat, line);
    this.addMessage(chat, session, client.id, w.text);
    session.lastClientMessageAt = this.now();
    if (isNewSession) {
      if (configString(line.config, 'CRM') === 'Y') bindCrm(this.core, chat, session, line, client, hit);
      const bot = this.welcomeBotFor(line, chat);
      if (bot) this.botJoins(session, chat, bot, client.id);
      else this.distribute(session, hit);
    }
    return { chatId: chat.id, sessionId: session.id, isNewSession };
  }

  private welcomeBotFor(line: EmuLine, chat: EmuChat): EmuBot | null {
    if (configString(line.config, 'WELCOME_BOT_ENABLE') !== 'Y') return null;
    const bot = this.state.bots.get(configNumber(line.config, 'WELCOME_BOT_ID'));
    if (!bot) return null;
    if (V2_BOT_NEEDS_OPENLINE_SUPPORT && bot.version === 2 && !bot.openline) return null;
    if (configString(line.config, 'WELCOME_BOT_JOIN', 'always') === 'first' && chat.sessionIds.length > 1)
      return null;
    return bot;
  }

  private botJoins(session: EmuSession, chat: EmuChat, bot: EmuBot, addedBy: number): void {
    session.status = 'bot';
    session.operatorId = bot.id;
    session.botId = bot.id;
    session.botJoinedAt = this.now();
    chat.ownerId = bot.id;
    if (!chat.memberIds.includes(bot.id)) chat.memberIds.push(bot.id);
    sendBotJoin(this.core, bot, chat, addedBy);
  }

  // ------------------------------------------------------------------ messages

  addMessage(
    chat: EmuChat,
    session: EmuSession,
    authorId: number,
    text: string,
    params: Record<string, unknown> = {},
  ): EmuMessage {
    const prev = chat.messageIds[chat.messageIds.length - 1] ?? 0;
    const msg: EmuMessage = {
      id: nextId(this.state, 'message'),
      chatId: chat.id,
      sessionId: session.id,
      authorId,
      text,
      date: this.now(),
      params,
    };
    this.state.messages.set(msg.id, msg);
    chat.messageIds.push(msg.id);
    // System messages (transfers, closing) are not sent to bots.
    if (authorId !== 0) {
      for (const memberId of chat.memberIds) {
        const bot = this.state.bots.get(memberId);
        if (bot && bot.id !== authorId) sendBotMessage(this.core, bot, chat, msg, prev);
      }
    }
    return msg;
  }

  private system(chat: EmuChat, session: EmuSession, text: string): void {
    this.addMessage(chat, session, 0, text);
  }

  // ------------------------------------------------------------------ operators

  private leave(chat: EmuChat, userId: number): void {
    chat.memberIds = chat.memberIds.filter((id) => id !== userId);
  }

  private assign(
    session: EmuSession,
    chat: EmuChat,
    userId: number,
    viaQueue: boolean,
    hit: Hit,
    actingUserId: number | null = null,
  ): void {
    const prev = session.operatorId;
    if (prev && prev !== userId && !this.state.bots.has(prev)) this.leave(chat, prev);
    session.operatorId = userId;
    session.status = 'assigned';
    session.assignedAt = this.now();
    session.answeredAt = null;
    session.viaQueue = viaQueue;
    session.offeredTo = [];
    chat.ownerId = userId;
    if (!chat.memberIds.includes(userId)) chat.memberIds.push(userId);
    this.state.lines.get(session.lineId)?.lastAssignedAt.set(userId, this.now());
    followCrmResponsible(this.core, session, userId, hit, actingUserId);
  }

  private botLeaves(session: EmuSession, chat: EmuChat): void {
    if (session.botId) this.leave(chat, session.botId);
    session.botPendingLeave = null;
  }

  /** Who the native queue would give the dialog to now (null = nobody available). */
  pickNative(session: EmuSession, exclude: number[] = []): number | null {
    const line = this.line(session.lineId);
    return pickNative(this.core, line, this.chat(session.chatId), session, exclude);
  }

  /** Bitrix24's own distribution of a waiting dialog. */
  distribute(session: EmuSession, hit: Hit, exclude: number[] = []): void {
    const line = this.line(session.lineId);
    const chat = this.chat(session.chatId);
    session.lastDistributionAt = this.now();
    if (configString(line.config, 'QUEUE_TYPE') === 'all' && ALL_MODE_OFFERS_TO_EVERYONE) {
      const now = this.now();
      const loads = operatorLoads(this.state, line, now, this.core.tzOffsetMin);
      session.status = 'waiting';
      session.operatorId = 0;
      session.offeredTo = queueMembers(this.state, line)
        .map((m) => m.userId)
        .filter((id) => {
          const u = this.state.users.get(id);
          return u ? isAvailable(line, u, now, loads) : false;
        });
      chat.ownerId = 0;
      return;
    }
    const pick = this.pickNative(session, exclude);
    if (pick === null) {
      session.status = 'waiting';
      if (session.operatorId && !this.state.bots.has(session.operatorId))
        this.leave(chat, session.operatorId);
      session.operatorId = 0;
      chat.ownerId = 0;
      return;
    }
    this.assign(session, chat, pick, true, hit);
  }

  /** The operator takes (accepts) the dialog: imopenlines.operator.answer, or a first reply. */
  answer(chat: EmuChat, userId: number, hit: Hit = this.core.newHit()): EmuSession {
    const session = this.activeSession(chat);
    if (!session) throw new SimError(`chat ${chat.id} has no open session`);
    if (session.status === 'bot') this.botLeaves(session, chat);
    if (session.operatorId !== userId) this.assign(session, chat, userId, false, hit);
    session.status = 'answered';
    session.answeredAt = session.answeredAt ?? this.now();
    if (session.botPendingLeave === 'answer') this.botLeaves(session, chat);
    return session;
  }

  operatorWrites(chatId: number, userId: number, text: string): EmuMessage {
    const chat = this.chat(chatId);
    const session = this.answer(chat, userId);
    const msg = this.addMessage(chat, session, userId, text);
    session.lastOperatorMessageAt = this.now();
    const u = this.state.users.get(userId);
    if (u) u.lastActivityAt = this.now();
    return msg;
  }

  /** Transfer to a named employee (viaQueue=false) or to a line's queue. */
  transfer(
    chat: EmuChat,
    session: EmuSession,
    target: { userId: number } | { lineId: number },
    opts: { leaveBot: boolean; actingUserId?: number | null },
    hit: Hit,
  ): void {
    const fromBot = session.status === 'bot';
    if ('userId' in target) {
      this.assign(session, chat, target.userId, false, hit, opts.actingUserId ?? null);
      this.system(chat, session, `Dialog transferred to user ${target.userId}`);
    } else {
      if (QUEUE_TRANSFER_MOVES_SESSION_LINE) session.lineId = target.lineId;
      this.system(chat, session, `Dialog transferred to queue ${target.lineId}`);
      const prev = session.operatorId;
      if (prev && !this.state.bots.has(prev)) this.leave(chat, prev);
      session.operatorId = 0;
      this.distribute(session, hit);
    }
    if (fromBot) {
      if (opts.leaveBot || !BOT_STAYS_UNTIL_ANSWER_WHEN_LEAVE_N) this.botLeaves(session, chat);
      else session.botPendingLeave = 'answer';
    }
  }

  /** The bot hands the dialog to the native queue (imopenlines.bot.session.operator or WELCOME_BOT_TIME). */
  botToQueue(chat: EmuChat, session: EmuSession, hit: Hit): void {
    const line = this.line(session.lineId);
    if (configString(line.config, 'WELCOME_BOT_LEFT', 'queue') === 'close') session.botPendingLeave = 'close';
    else this.botLeaves(session, chat);
    session.operatorId = 0;
    this.distribute(session, hit);
  }

  close(chat: EmuChat): EmuSession {
    const session = this.activeSession(chat);
    if (!session) throw new SimError(`chat ${chat.id} has no open session`);
    this.system(chat, session, 'Dialog closed');
    session.status = 'closed';
    session.closedAt = this.now();
    session.offeredTo = [];
    if (session.operatorId) this.leave(chat, session.operatorId);
    if (session.botId) this.leave(chat, session.botId);
    session.botPendingLeave = null;
    if (CLOSE_RESETS_OWNER) chat.ownerId = 0;
    chat.activeSessionId = null;
    return session;
  }

  // ------------------------------------------------------------------ time

  /** WELCOME_BOT_TIME fallback, QUEUE_TIME pass-on and retries of undistributed dialogs. */
  runTimers(): void {
    const now = this.now();
    for (const session of this.state.sessions.values()) {
      if (session.status === 'closed') continue;
      const line = this.state.lines.get(session.lineId);
      const chat = this.state.chats.get(session.chatId);
      if (!line || !chat) continue;
      const hit = this.core.newHit();
      if (session.status === 'bot') {
        const t = configNumber(line.config, 'WELCOME_BOT_TIME', 0);
        const never = t <= 0 && WELCOME_BOT_TIME_ZERO_MEANS_NEVER;
        if (!never && session.botJoinedAt !== null && now - session.botJoinedAt >= t * 1000)
          this.botToQueue(chat, session, hit);
        continue;
      }
      if (session.status === 'waiting') {
        if (
          session.lastDistributionAt === null ||
          now - session.lastDistributionAt >= NATIVE_RETRY_INTERVAL_SEC * 1000
        ) {
          this.distribute(session, hit);
        }
        continue;
      }
      if (session.status === 'assigned' && (session.viaQueue || !QUEUE_TIME_ONLY_FOR_NATIVE_ASSIGNMENTS)) {
        if (configString(line.config, 'QUEUE_TYPE') === 'all') continue;
        const t = configNumber(line.config, 'QUEUE_TIME', 60);
        if (t > 0 && session.assignedAt !== null && now - session.assignedAt >= t * 1000) {
          const next = this.pickNative(session, [session.operatorId]);
          if (next !== null) this.assign(session, chat, next, true, hit);
          else session.assignedAt = now;
        }
      }
    }
  }
}
