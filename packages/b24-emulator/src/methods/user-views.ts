import { IM_STATUS_OFFLINE_VALUE } from '../assumptions.ts';
import { type AnyUser, fullName, type PortalCore } from '../portal-core.ts';
import { dmyDate, isoDate, sqlDate } from '../dates.ts';
import type { EmuUser } from '../model.ts';
import { absenceEnd } from '../openlines/availability.ts';

const PALETTE = ['#df532d', '#4ba984', '#58cc47', '#ba9c7b', '#048bd0', '#ab7761', '#8474c8', '#e98fa6'];

export function colorOf(id: number): string {
  return PALETTE[id % PALETTE.length];
}

/** A row of `user.get` / `user.current` (user-get.md response). */
export function userGetItem(u: EmuUser, core: PortalCore): Record<string, unknown> {
  const tz = core.tzOffsetMin;
  return {
    ID: String(u.id),
    ACTIVE: u.active,
    NAME: u.name,
    LAST_NAME: u.lastName,
    SECOND_NAME: u.secondName,
    EMAIL: u.email,
    LAST_LOGIN: isoDate(u.lastLoginAt, tz),
    DATE_REGISTER: isoDate(u.registeredAt, tz),
    TIME_ZONE: u.timeZone,
    IS_ONLINE: u.online ? 'Y' : 'N',
    TIMESTAMP_X: dmyDate(u.registeredAt, tz),
    LAST_ACTIVITY_DATE: sqlDate(u.lastActivityAt, tz),
    PERSONAL_GENDER: u.gender,
    PERSONAL_BIRTHDAY: '',
    PERSONAL_MOBILE: '',
    PERSONAL_CITY: '',
    WORK_PHONE: u.workPhone,
    WORK_POSITION: u.workPosition,
    UF_EMPLOYMENT_DATE: '',
    UF_DEPARTMENT: [...u.departments],
    USER_TYPE: u.userType,
  };
}

/**
 * im `absent`: "the date until which the user is on vacation, in ATOM format (if not set,
 * false)" (im-user-list-get.md): the end of the absence the user is on now; `absentUntil` as
 * it was set, a chart entry's end as its instant.
 */
function absentField(e: EmuUser, now: number, tz: number): string | false {
  const end = absenceEnd(e, now);
  if (end === null) return false;
  const fromChart = (e.absences ?? []).some((a) => a.from <= now && now < a.to && a.to === end);
  return isoDate(fromChart || !e.absentUntil ? end : Date.parse(e.absentUntil), tz);
}

function presence(any: AnyUser, core: PortalCore) {
  const e = any.employee;
  const online = any.kind !== 'employee' ? true : (e?.online ?? false);
  return {
    status: online ? 'online' : IM_STATUS_OFFLINE_VALUE,
    lastActivity: e ? isoDate(e.lastActivityAt, core.tzOffsetMin) : isoDate(core.clock(), core.tzOffsetMin),
    absent: e ? absentField(e, core.clock(), core.tzOffsetMin) : false,
    externalAuthId: any.kind === 'bot' ? 'bot' : any.kind === 'connector' ? 'imconnector' : 'default',
    type: any.kind === 'bot' ? 'bot' : 'user',
  };
}

/** `im.user.list.get` item (snake_case). */
export function imUserItem(any: AnyUser, core: PortalCore): Record<string, unknown> {
  const p = presence(any, core);
  return {
    id: any.id,
    active: any.active,
    name: fullName(any),
    first_name: any.name,
    last_name: any.lastName,
    work_position: any.workPosition,
    color: colorOf(any.id),
    avatar: '',
    avatar_hr: '',
    gender: any.gender || 'M',
    birthday: '',
    extranet: false,
    network: false,
    bot: any.kind === 'bot',
    connector: any.kind === 'connector',
    external_auth_id: p.externalAuthId,
    status: p.status,
    idle: false,
    last_activity_date: p.lastActivity,
    mobile_last_date: false,
    desktop_last_date: false,
    absent: p.absent,
    departments: [...any.departments],
    phones: false,
    website: '',
    email: any.employee?.email ?? '',
    bot_data: null,
    type: p.type,
  };
}

/** `users` map entry of imopenlines.session.history.get (camelCase, string id). */
export function historyUserItem(any: AnyUser, core: PortalCore): Record<string, unknown> {
  const p = presence(any, core);
  return {
    id: String(any.id),
    name: fullName(any),
    active: any.active,
    firstName: any.name,
    lastName: any.lastName,
    workPosition: any.workPosition,
    color: colorOf(any.id),
    avatar: '',
    avatarId: '0',
    birthday: '',
    gender: any.gender || 'M',
    phoneDevice: false,
    phones: false,
    extranet: false,
    network: false,
    bot: any.kind === 'bot',
    connector: any.kind === 'connector',
    profile: `/company/personal/user/${any.id}/`,
    externalAuthId: p.externalAuthId,
    status: p.status,
    idle: false,
    lastActivityDate: p.lastActivity,
    mobileLastDate: false,
    desktopLastDate: false,
    departments: [...any.departments],
    absent: p.absent,
    type: p.type,
    services: null,
    botData: null,
  };
}

/** The User object of chat bots 2.0 (entities.md); in online events idle/lastActivityDate are false. */
export function v2UserItem(any: AnyUser, core: PortalCore): Record<string, unknown> {
  const p = presence(any, core);
  return {
    id: any.id,
    active: any.active,
    name: fullName(any),
    firstName: any.name,
    lastName: any.lastName,
    workPosition: any.workPosition,
    color: colorOf(any.id),
    avatar: '',
    gender: any.gender || 'M',
    birthday: '',
    extranet: false,
    bot: any.kind === 'bot',
    connector: any.kind === 'connector',
    externalAuthId: p.externalAuthId,
    status: p.status,
    idle: false,
    lastActivityDate: false,
    absent: p.absent,
    departments: [...any.departments],
    phones: false,
    type: any.kind === 'bot' ? 'bot' : 'employee',
  };
}

/** `data[USER]` of v1 bot events. */
export function v1EventUser(any: AnyUser | null): Record<string, unknown> {
  if (!any) return {};
  return {
    ID: any.id,
    NAME: fullName(any),
    FIRST_NAME: any.name,
    LAST_NAME: any.lastName,
    WORK_POSITION: any.workPosition,
    GENDER: any.gender || 'M',
    IS_BOT: any.kind === 'bot' ? 'Y' : 'N',
    IS_CONNECTOR: any.kind === 'connector' ? 'Y' : 'N',
    IS_NETWORK: 'N',
    IS_EXTRANET: 'N',
  };
}
