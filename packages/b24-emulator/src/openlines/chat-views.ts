import { ENTITY_DATA_1_TAIL } from '../assumptions.ts';
import { findAnyUser, type PortalCore } from '../portal-core.ts';
import { isoDate, unixSec } from '../dates.ts';
import { historyUserItem } from '../methods/user-views.ts';
import type { EmuChat, EmuMessage, EmuSession } from '../model.ts';
import { phpArray } from '../rest/params.ts';

export function lastSession(core: PortalCore, chat: EmuChat): EmuSession | undefined {
  const id = chat.activeSessionId ?? chat.sessionIds[chat.sessionIds.length - 1];
  return id === undefined ? undefined : core.state.sessions.get(id);
}

/** `Y|LEAD|1209|N|N|343|1773682918|0|0|0`: CRM-saved flag, CRM type, id, two flags, SESSION_ID (6th), start time. */
export function entityData1(core: PortalCore, chat: EmuChat): string {
  const s = lastSession(core, chat);
  const crm = chat.crmEntity;
  return [
    crm ? 'Y' : 'N',
    crm?.type ?? 'NONE',
    crm?.id ?? 0,
    'N',
    'N',
    s?.id ?? 0,
    s ? unixSec(s.startedAt) : 0,
    ENTITY_DATA_1_TAIL,
  ].join('|');
}

/** `LEAD|1209|COMPANY|0|CONTACT|0|DEAL|0`. */
export function entityData2(chat: EmuChat): string {
  const c = chat.crm;
  return `LEAD|${c.LEAD}|COMPANY|${c.COMPANY}|CONTACT|${c.CONTACT}|DEAL|${c.DEAL}`;
}

function lastMessage(core: PortalCore, chat: EmuChat): EmuMessage | undefined {
  return core.state.messages.get(chat.messageIds[chat.messageIds.length - 1] ?? -1);
}

/** imopenlines.dialog.get result (snake_case chat). */
export function dialogView(core: PortalCore, chat: EmuChat, viewerId: number): Record<string, unknown> {
  const last = lastMessage(core, chat);
  const managers = chat.ownerId ? [chat.ownerId] : [];
  return {
    id: chat.id,
    parent_chat_id: 0,
    parent_message_id: 0,
    name: chat.name,
    description: null,
    owner: chat.ownerId,
    extranet: false,
    avatar: '',
    color: chat.color,
    type: 'lines',
    counter: 0,
    user_counter: chat.memberIds.length,
    message_count: chat.messageIds.length,
    unread_id: 0,
    restrictions: {
      avatar: true,
      rename: true,
      extend: true,
      call: true,
      mute: true,
      leave: true,
      leave_owner: true,
      send: true,
      user_list: true,
    },
    last_message_id: last?.id ?? 0,
    last_id: last?.id ?? 0,
    marked_id: 0,
    disk_folder_id: 0,
    entity_type: 'LINES',
    entity_id: chat.userCode,
    entity_data_1: entityData1(core, chat),
    entity_data_2: entityData2(chat),
    entity_data_3: 'N',
    mute_list: [],
    date_create: isoDate(chat.createdAt, core.tzOffsetMin),
    message_type: 'L',
    public: '',
    role: chat.ownerId === viewerId ? 'owner' : chat.memberIds.includes(viewerId) ? 'member' : 'none',
    entity_link: { type: 'LINES', url: '', id: chat.userCode },
    text_field_enabled: true,
    background_id: null,
    permissions: {
      manage_users_add: 'member',
      manage_users_delete: 'manager',
      manage_ui: 'member',
      manage_settings: 'owner',
      manage_messages: 'member',
      can_post: 'member',
    },
    is_new: false,
    readed_list: [],
    manager_list: managers,
    last_message_views: { message_id: last?.id ?? 0, first_viewers: [], count_of_viewers: 0 },
    dialog_id: `chat${chat.id}`,
  };
}

/** The chat object of session.history.get (camelCase, some numbers as strings). */
function historyChatView(core: PortalCore, chat: EmuChat): Record<string, unknown> {
  return {
    id: String(chat.id),
    parentChatId: 0,
    parentMessageId: 0,
    name: chat.name,
    owner: String(chat.ownerId),
    color: chat.color,
    extranet: false,
    avatar: '/bitrix/js/im/images/blank.gif',
    call: '0',
    callNumber: '',
    entityType: 'LINES',
    entityId: chat.userCode,
    entityData1: entityData1(core, chat),
    entityData2: entityData2(chat),
    entityData3: '',
    messageCount: chat.messageIds.length,
    public: '',
    muteList: Object.fromEntries(chat.memberIds.map((id) => [String(id), false])),
    managerList: chat.ownerId ? [chat.ownerId] : [],
    dateCreate: isoDate(chat.createdAt, core.tzOffsetMin),
    type: 'lines',
    entityLink: { type: 'LINES', url: '', id: chat.userCode },
    permissions: {
      manageUsersAdd: 'member',
      manageUsersDelete: 'manager',
      manageUi: 'member',
      manageSettings: 'owner',
      manageMessages: 'member',
      canPost: 'member',
    },
    textFieldEnabled: true,
    backgroundId: null,
    messageType: 'L',
    isNew: false,
  };
}

/** imopenlines.session.history.get result for one session. */
export function historyView(core: PortalCore, chat: EmuChat, session: EmuSession): Record<string, unknown> {
  const msgs = chat.messageIds
    .map((id) => core.state.messages.get(id))
    .filter((m): m is EmuMessage => m !== undefined && m.sessionId === session.id);
  const message: Record<string, unknown> = {};
  const userIds = new Set<number>(chat.memberIds);
  for (const m of msgs) {
    message[String(m.id)] = {
      id: String(m.id),
      chatid: String(m.chatId),
      senderid: String(m.authorId),
      recipientid: `chat${chat.id}`,
      date: isoDate(m.date, core.tzOffsetMin),
      text: m.text,
      textlegacy: m.text,
      params: phpArray(Object.entries(m.params)),
    };
    if (m.authorId) userIds.add(m.authorId);
  }
  if (session.operatorId) userIds.add(session.operatorId);
  userIds.add(chat.clientId);
  const users: Record<string, unknown> = {};
  for (const id of userIds) {
    const any = findAnyUser(core.state, id);
    if (any) users[String(id)] = historyUserItem(any, core);
  }
  return {
    chatId: chat.id,
    canJoin: 'Y',
    canVoteHead: 'Y',
    sessionId: session.id,
    sessionVoteHead: 0,
    sessionCommentHead: null,
    userId: `chat${chat.id}`,
    message: msgs.length ? message : [],
    usersMessage: { [`chat${chat.id}`]: msgs.map((m) => String(m.id)).reverse() },
    users,
    openlines: { canvoteashead: { [String(session.lineId)]: true } },
    userInGroup: [],
    woUserInGroup: [],
    chat: { [String(chat.id)]: historyChatView(core, chat) },
    userBlockChat: { [String(chat.id)]: Object.fromEntries(chat.memberIds.map((id) => [String(id), false])) },
    userInChat: { [String(chat.id)]: [...chat.memberIds] },
    files: [],
  };
}

/** The Chat object of chat bots 2.0 events (entities.md), without role/muteList. */
export function v2ChatView(core: PortalCore, chat: EmuChat): Record<string, unknown> {
  return {
    id: chat.id,
    dialogId: `chat${chat.id}`,
    name: chat.name,
    type: 'lines',
    messageType: 'L',
    owner: chat.ownerId,
    color: chat.color,
    avatar: '',
    description: '',
    extranet: false,
    containsCollaber: false,
    entityType: 'LINES',
    entityId: chat.userCode,
    entityData1: entityData1(core, chat),
    entityData2: entityData2(chat),
    entityData3: 'N',
    entityLink: { type: 'LINES', url: '', id: chat.userCode },
    diskFolderId: null,
    permissions: {
      manageUsersAdd: 'member',
      manageUsersDelete: 'manager',
      manageUi: 'member',
      manageSettings: 'owner',
      manageMessages: 'member',
      canPost: 'member',
    },
    parentChatId: null,
    parentMessageId: null,
    isNew: chat.sessionIds.length <= 1,
    textFieldEnabled: 'Y',
    backgroundId: null,
  };
}
