/**
 * The live portal model. Plain objects in Maps keyed by id, so tests can read and change it
 * directly (`emu.state.users.get(5)!.online = false`). Times are unix ms from the injected clock.
 */

export type TimemanStatus = 'OPENED' | 'PAUSED' | 'CLOSED' | 'EXPIRED';

export interface EmuUser {
  id: number;
  active: boolean;
  /** transfers to this user answer OPERATOR_WRONG (sim.setUser acceptsTransfers: false) */
  refusesTransfers?: boolean;
  name: string;
  lastName: string;
  secondName: string;
  email: string;
  workPosition: string;
  gender: 'M' | 'F' | '';
  departments: number[];
  admin: boolean;
  online: boolean;
  lastActivityAt: number;
  timeman: TimemanStatus;
  /** when the current (or last) workday was opened */
  timemanOpenedAt: number | null;
  /** ISO date the current absence ends, or null */
  absentUntil: string | null;
  /** the absence chart's entries (vacation, sick leave…): unix ms, `to` exclusive; `absent` is the current one's end */
  absences?: Array<{ from: number; to: number }>;
  registeredAt: number;
  lastLoginAt: number;
  timeZone: string;
  workPhone: string;
  userType: 'employee' | 'extranet';
}

export interface EmuDepartment {
  id: number;
  name: string;
  sort: number;
  parent: number | null;
  headId: number | null;
}

export interface QueueEntry {
  entityType: 'user' | 'department';
  entityId: number;
}

export interface EmuLine {
  id: number;
  /** every documented config field except ID and the QUEUE* fields, as the API shows them (mostly strings) */
  config: Record<string, unknown>;
  queue: QueueEntry[];
  /** native queue bookkeeping for "evenly": user id → when they last got a dialog from this line */
  lastAssignedAt: Map<number, number>;
  createdAt: number;
  modifiedAt: number;
  modifiedBy: number;
}

/** An external client writing through a connector; it is a (connector) user of the portal. */
export interface EmuClient {
  id: number;
  lineId: number;
  clientKey: string;
  connectorId: string;
  connectorChatId: number;
  name: string;
  lastName: string;
  phone: string | null;
  email: string | null;
}

export interface CrmBinding {
  LEAD: number;
  COMPANY: number;
  CONTACT: number;
  DEAL: number;
}

export interface EmuChat {
  id: number;
  lineId: number;
  clientId: number;
  connectorId: string;
  userCode: string;
  name: string;
  color: string;
  /** current operator, the bot while it holds the dialog, or 0 */
  ownerId: number;
  memberIds: number[];
  createdAt: number;
  sessionIds: number[];
  activeSessionId: number | null;
  /** every message of the chat, oldest first */
  messageIds: number[];
  crm: CrmBinding;
  /** the CRM object the dialog was saved to (entity_data_1 positions 1–3) */
  crmEntity: { type: 'LEAD' | 'CONTACT' | 'COMPANY'; id: number } | null;
}

export type SessionStatus = 'bot' | 'waiting' | 'assigned' | 'answered' | 'closed';

export interface EmuSession {
  id: number;
  chatId: number;
  lineId: number;
  status: SessionStatus;
  /** the operator (user id), the bot while status is 'bot', else 0 */
  operatorId: number;
  botId: number;
  /** true when the native queue (not a named transfer) gave the dialog to operatorId */
  viaQueue: boolean;
  startedAt: number;
  assignedAt: number | null;
  answeredAt: number | null;
  closedAt: number | null;
  botJoinedAt: number | null;
  lastDistributionAt: number | null;
  /** "all" mode: who the dialog is offered to */
  offeredTo: number[];
  parentId: number;
  lastClientMessageAt: number | null;
  lastOperatorMessageAt: number | null;
  /** lead the line created for this session (CRM_TRANSFER_CHANGE moves its responsible along) */
  createdLeadId: number;
  /** a bot still in the chat after handing over leaves when the operator answers, or at close */
  botPendingLeave: 'answer' | 'close' | null;
}

export interface EmuMessage {
  id: number;
  chatId: number;
  sessionId: number;
  /** 0 = system message */
  authorId: number;
  text: string;
  date: number;
  params: Record<string, unknown>;
}

export interface CrmMultiField {
  id: number;
  typeId: 'PHONE' | 'EMAIL' | 'WEB' | 'IM';
  valueType: string;
  value: string;
}

export type CrmEntityTypeId = 1 | 2 | 3 | 4;

export interface CrmItem {
  entityTypeId: CrmEntityTypeId;
  id: number;
  title: string;
  name: string;
  lastName: string;
  secondName: string;
  assignedById: number;
  sourceId: string;
  sourceDescription: string;
  /** lead STATUS_ID / stageId; contact TYPE_ID; company COMPANY_TYPE */
  stageId: string;
  companyId: number;
  contactId: number;
  /** deal: pipeline (CATEGORY_ID, 0 = the general one); 0 for the other types */
  categoryId: number;
  /** deal: the lead it was converted from; 0 = none */
  leadId: number;
  comments: string;
  opened: 'Y' | 'N';
  createdBy: number;
  updatedBy: number;
  createdAt: number;
  updatedAt: number;
  fm: CrmMultiField[];
  /** who moved the item to its current stage, and when (movedBy / movedTime) */
  movedBy: number;
  movedTime: number;
  /** who last interacted in the item's timeline, and when (lastActivityBy / lastActivityTime) */
  lastActivityBy: number;
  lastActivityTime: number;
}

/** A CRM activity (crm.activity.*): a call, meeting, e-mail or provider action bound to one owner. */
export interface CrmActivity {
  id: number;
  ownerTypeId: number;
  ownerId: number;
  /** 1 meeting, 2 call, 3 task, 4 e-mail, 5 action, 6 user action (crm.enum.activitytype) */
  typeId: number;
  providerId: string;
  providerTypeId: string;
  subject: string;
  description: string;
  /** 0 none, 1 incoming, 2 outgoing (crm.enum.activitydirection) */
  direction: number;
  completed: boolean;
  responsibleId: number;
  /** the user whose token created it */
  authorId: number;
  editorId: number;
  startTime: number | null;
  endTime: number | null;
  createdAt: number;
  updatedAt: number;
  communications: Array<{ VALUE: string; ENTITY_ID: number; ENTITY_TYPE_ID: number; TYPE?: string }>;
}

/** A system notification sent with im.notify.system.add, as the recipient sees it. */
export interface EmuNotification {
  id: number;
  userId: number;
  message: string;
  messageOut: string;
  /** the tag as given; a new notification with the same app and tag removes the older ones */
  tag: string;
  subTag: string;
  clientId: string;
  /** the user whose token sent it */
  authorId: number;
  date: number;
  /** removed because a later notification carried the same tag */
  replaced: boolean;
}

/** A deal pipeline (crm.category.list `categories[]`). */
export interface DealCategory {
  id: number;
  name: string;
  sort: number;
  isDefault: boolean;
}

export interface TimelineComment {
  id: number;
  entityType: string;
  entityId: number;
  comment: string;
  authorId: number;
  createdAt: number;
}

export interface EmuBot {
  /** the bot's user id (BOT_ID) */
  id: number;
  code: string;
  version: 1 | 2;
  /** v1: B|O|H|S; v2: bot|openline|supervisor|personal|network */
  type: string;
  clientId: string;
  openline: boolean;
  eventMode: 'webhook' | 'fetch';
  /** v1 handler URLs per event */
  handlers: {
    messageAdd: string;
    messageUpdate: string;
    messageDelete: string;
    welcome: string;
    botDelete: string;
  };
  /** v2 webhook URL */
  webhookUrl: string;
  name: string;
  lastName: string;
  workPosition: string;
  color: string;
  gender: 'M' | 'F' | '';
  createdAt: number;
  /** event_handler_id used for this bot's v1 events */
  handlerIds: Record<string, number>;
}

export interface EventBinding {
  id: number;
  event: string;
  handler: string;
  /** 0 = the acting user */
  authType: number;
  offline: boolean;
  authConnector: string;
  options: Record<string, unknown>;
  clientId: string;
  createdBy: number;
}

export interface OfflineRecord {
  id: number;
  timestampX: number;
  eventName: string;
  eventData: unknown;
  eventAdditional: unknown;
  messageId: string;
  processId: string;
  error: boolean;
  authConnector: string;
}

export interface AppInstallation {
  /** the portal has the app (install was played); tokens can exist */
  present: boolean;
  /** installFinish() was called: events are delivered, app.info INSTALLED=true */
  installed: boolean;
  applicationToken: string;
  installedBy: number;
  version: number;
  /** where the app lives, remembered from install() for the iframe host */
  appBaseUrl: string | null;
  installPath: string;
  appPath: string;
}

export interface PortalState {
  users: Map<number, EmuUser>;
  departments: Map<number, EmuDepartment>;
  lines: Map<number, EmuLine>;
  clients: Map<number, EmuClient>;
  chats: Map<number, EmuChat>;
  sessions: Map<number, EmuSession>;
  messages: Map<number, EmuMessage>;
  crm: {
    leads: Map<number, CrmItem>;
    deals: Map<number, CrmItem>;
    /** deal pipelines (crm.category.*, entityTypeId 2); 0 is the general one */
    dealCategories: Map<number, DealCategory>;
    contacts: Map<number, CrmItem>;
    companies: Map<number, CrmItem>;
    comments: Map<number, TimelineComment>;
    activities: Map<number, CrmActivity>;
  };
  /** every im.notify.system.add, in order (replaced ones stay, marked) */
  notifications: EmuNotification[];
  bots: Map<number, EmuBot>;
  bindings: Map<number, EventBinding>;
  offlineQueue: Map<number, OfflineRecord>;
  app: AppInstallation;
  /** next ids; tests may bump them to provoke collisions */
  seq: {
    user: number;
    chat: number;
    session: number;
    message: number;
    lead: number;
    deal: number;
    dealCategory: number;
    contact: number;
    company: number;
    multifield: number;
    comment: number;
    activity: number;
    notification: number;
    binding: number;
    offline: number;
    queueItem: number;
    connectorChat: number;
    line: number;
  };
}

export function nextId(state: PortalState, kind: keyof PortalState['seq']): number {
  const id = state.seq[kind];
  state.seq[kind] = id + 1;
  return id;
}

export function crmMap(state: PortalState, entityTypeId: CrmEntityTypeId): Map<number, CrmItem> {
  if (entityTypeId === 1) return state.crm.leads;
  if (entityTypeId === 2) return state.crm.deals;
  if (entityTypeId === 3) return state.crm.contacts;
  return state.crm.companies;
}
