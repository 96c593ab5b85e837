import { CLIENT_DEFAULT_NAME } from '../assumptions.ts';
import type { PortalCore } from '../portal-core.ts';
import { colorOf } from '../methods/user-views.ts';
import type { EmuChat, EmuClient, EmuLine, EmuSession } from '../model.ts';
import { nextId } from '../model.ts';
import { configString } from './line-config.ts';

/** A client writing to a line (sim.ts `clientWrites`): who, on which line, what. */
export interface ClientWrite {
  lineId: number;
  /** stable key of the external person (e.g. a phone number or a messenger id) */
  clientKey: string;
  text: string;
  /** connector id; default "livechat" */
  connector?: string;
  name?: string;
  phone?: string;
  email?: string;
}

/**
 * The records a client's message creates: the client (one per line, connector and person), their
 * chat (one per client) and a new session in it.
 */
export class DialogRecords {
  // Lookup caches only; the state stays the source of truth (tests may edit it directly).
  private readonly clientIndex = new Map<string, number>();
  private readonly chatByClient = new Map<number, number>();

  constructor(private readonly core: PortalCore) {}

  private get state() {
    return this.core.state;
  }

  private now(): number {
    return this.core.clock();
  }

  findOrCreateClient(w: ClientWrite): EmuClient {
    const connectorId = w.connector ?? 'livechat';
    const key = `${w.lineId}|${connectorId}|${w.clientKey}`;
    const same = (c: EmuClient | undefined) =>
      c !== undefined &&
      c.lineId === w.lineId &&
      c.clientKey === w.clientKey &&
      c.connectorId === connectorId;
    const cached = this.state.clients.get(this.clientIndex.get(key) ?? -1);
    if (same(cached)) return cached!;
    for (const c of this.state.clients.values()) {
      if (same(c)) {
        this.clientIndex.set(key, c.id);
        return c;
      }
    }
    const id = nextId(this.state, 'user');
    const guest = CLIENT_DEFAULT_NAME[this.core.language];
    const client: EmuClient = {
      id,
      lineId: w.lineId,
      clientKey: w.clientKey,
      connectorId,
      connectorChatId: nextId(this.state, 'connectorChat'),
      name: w.name ?? `${guest} #${this.state.clients.size + 1}`,
      lastName: '',
      phone: w.phone ?? null,
      email: w.email ?? null,
    };
    this.state.clients.set(id, client);
    this.clientIndex.set(key, id);
    return client;
  }

  findOrCreateChat(client: EmuClient, line: EmuLine): EmuChat {
    const cached = this.state.chats.get(this.chatByClient.get(client.id) ?? -1);
    if (cached?.clientId === client.id) return cached;
    for (const c of this.state.chats.values()) {
      if (c.clientId === client.id) {
        this.chatByClient.set(client.id, c.id);
        return c;
      }
    }
    const id = nextId(this.state, 'chat');
    const chat: EmuChat = {
      id,
      lineId: line.id,
      clientId: client.id,
      connectorId: client.connectorId,
      userCode: `${client.connectorId}|${line.id}|${client.connectorChatId}|${client.id}`,
      name: `${client.name} - ${configString(line.config, 'LINE_NAME')}`,
      color: colorOf(id),
      ownerId: 0,
      memberIds: [client.id],
      createdAt: this.now(),
      sessionIds: [],
      activeSessionId: null,
      messageIds: [],
      crm: { LEAD: 0, COMPANY: 0, CONTACT: 0, DEAL: 0 },
      crmEntity: null,
    };
    this.state.chats.set(id, chat);
    this.chatByClient.set(client.id, id);
    return chat;
  }

  startSession(chat: EmuChat, line: EmuLine): EmuSession {
    const prev = chat.sessionIds[chat.sessionIds.length - 1] ?? 0;
    const session: EmuSession = {
      id: nextId(this.state, 'session'),
      chatId: chat.id,
      lineId: line.id,
      status: 'waiting',
      operatorId: 0,
      botId: 0,
      viaQueue: false,
      startedAt: this.now(),
      assignedAt: null,
      answeredAt: null,
      closedAt: null,
      botJoinedAt: null,
      lastDistributionAt: null,
      offeredTo: [],
      parentId: prev,
      lastClientMessageAt: null,
      lastOperatorMessageAt: null,
      createdLeadId: 0,
      botPendingLeave: null,
    };
    this.state.sessions.set(session.id, session);
    chat.sessionIds.push(session.id);
    chat.activeSessionId = session.id;
    return session;
  }
}
