import {
  DEAL_CONVERSION_BINDS_CHAT,
  DEAL_CONVERSION_COPIES_RESPONSIBLE,
  SIM_LEAD_DEFAULT_CREATOR,
} from './assumptions.ts';
import type { EmulatorCore } from './core.ts';
import { addActivity } from './crm/activities.ts';
import { addItem, touchTimeline, updateItem } from './crm/store.ts';
import { isoDate } from './dates.ts';
import { applyLineParams } from './methods/openlines-config.ts';
import type { EmuMessage, EmuNotification, EmuUser, TimemanStatus } from './model.ts';
import { nextId } from './model.ts';
import type { ClientWrite } from './openlines/dialog-records.ts';
import type { ClientWriteResult } from './openlines/engine.ts';
import { SimError } from './openlines/engine.ts';
import { defaultLineConfig } from './openlines/line-config.ts';
import { queueFromSeed, type SeedLine } from './seed.ts';

export interface UserPatch {
  active?: boolean;
  online?: boolean;
  timeman?: TimemanStatus;
  absentUntil?: string | null;
  /** portal administrator rights (taken away: admin-only methods and others' dialogs are refused) */
  admin?: boolean;
  /**
   * false: transfers to this user answer OPERATOR_WRONG ("not available": the docs name the
   * error, not the portal's reasons for it)
   */
  acceptsTransfers?: boolean;
}

/** An entry of the absence chart (vacation, sick leave, business trip): from … to, unix ms. */
export interface AbsenceEntry {
  userId: number;
  from: number;
  to: number;
}

export interface NewUser {
  name: string;
  lastName: string;
  email?: string;
  departments?: number[];
  workPosition?: string;
  admin?: boolean;
  online?: boolean;
  timeman?: TimemanStatus;
  gender?: 'M' | 'F' | '';
}

export interface NewLead {
  title: string;
  /** the client's name on the lead */
  name?: string;
  lastName?: string;
  phone?: string;
  email?: string;
  sourceId?: string;
  assignedById?: number;
  /** staff member who created it; null/omitted = nobody (a web form): the event carries no tokens */
  createdById?: number | null;
}

export interface NewDeal {
  title: string;
  /** pipeline; 0 (the general one) by default */
  categoryId?: number;
  sourceId?: string;
  assignedById?: number;
  /** staff member who created it; null/omitted = nobody (a robot, a web form): no tokens */
  createdById?: number | null;
  contactId?: number;
  companyId?: number;
}

export interface NewContact {
  name: string;
  lastName?: string;
  phone?: string;
  email?: string;
  assignedById: number;
  companyId?: number;
}

export interface NewLine {
  name: string;
  queue: SeedLine['queue'];
  /** any imopenlines.config.update PARAMS, e.g. { QUEUE_TYPE: 'all' } */
  config?: Record<string, unknown>;
}

/** The simulation verbs: each changes state and fires what a portal would fire. */
export interface Simulation {
  clientWrites(w: ClientWrite): ClientWriteResult;
  operatorWrites(w: { chatId: number; userId: number; text: string }): EmuMessage;
  operatorAccepts(chatId: number, userId: number): void;
  /** closes the open session; a no-op when there is none */
  closeDialog(chatId: number): void;
  setUser(userId: number, patch: UserPatch): EmuUser;
  /**
   * An entry in the absence chart. The portal fires no event for it and no REST method lists
   * the chart (ABSENCE_CHART_NOT_IN_REST): apps see it only as `absent` in im.user.* while the
   * absence runs.
   */
  addAbsence(a: AbsenceEntry): void;
  addUser(u: NewUser): number;
  addLine(l: NewLine): number;
  addLead(l: NewLead): number;
  updateLead(id: number, fields: Record<string, unknown>, byUserId?: number | null): void;
  addDeal(d: NewDeal): number;
  /** crm.item.update of a deal as a person (or nobody) would: `categoryId` moves it to another pipeline */
  updateDeal(id: number, fields: Record<string, unknown>, byUserId?: number | null): void;
  /** a person converts a lead into a deal (DEAL_CONVERSION_COPIES_RESPONSIBLE); returns the deal id */
  convertLead(leadId: number, byUserId: number, o?: { categoryId?: number }): number;
  addContact(c: NewContact): number;
  addCompany(c: { title: string; phone?: string; email?: string; assignedById: number }): number;
  /** a staff member logs a call, sends an e-mail, holds a meeting… on a CRM item (crm.activity.add as them) */
  addActivity(a: NewActivity): number;
  /** a staff member writes a timeline comment (crm.timeline.comment.add as them) */
  addComment(c: {
    entityType: 'lead' | 'contact' | 'company';
    entityId: number;
    authorId: number;
    text: string;
  }): number;
  /** the notifications a user sees now (im.notify.system.add; replaced ones left out) */
  notificationsFor(userId: number): EmuNotification[];
  /**
   * A person moves a dialog to a colleague in the UI (the operator themself or a supervisor):
   * the owner changes, a system message is written, no event reaches an app
   * (OPERATOR_TRANSFER_FIRES_NO_APP_EVENT); with CRM_TRANSFER_CHANGE=Y the line's lead follows.
   */
  operatorTransfers(t: { chatId: number; toUserId: number; byUserId: number }): void;
  runTimers(): void;
}

export interface NewActivity {
  ownerId: number;
  /** 1 lead (default), 3 contact, 4 company */
  ownerTypeId?: 1 | 3 | 4;
  authorId: number;
  /** 1 meeting, 2 call (default), 4 e-mail, 6 provider action */
  typeId?: number;
  providerId?: string;
  /** 1 incoming, 2 outgoing (default) */
  direction?: number;
  completed?: boolean;
  subject?: string;
  responsibleId?: number;
}

function fm(phone?: string, email?: string) {
  const out: Array<Record<string, string>> = [];
  if (phone) out.push({ typeId: 'PHONE', valueType: 'WORK', value: phone });
  if (email) out.push({ typeId: 'EMAIL', valueType: 'WORK', value: email });
  return out;
}

export function createSimulation(core: EmulatorCore): Simulation {
  const { state } = core;
  const user = (id: number) => {
    const u = state.users.get(id);
    if (!u) throw new SimError(`no user ${id}`);
    return u;
  };
  return {
    clientWrites: (w) => core.lines.clientWrites(w),
    operatorWrites: ({ chatId, userId, text }) => core.lines.operatorWrites(chatId, userId, text),
    operatorAccepts: (chatId, userId) => {
      core.lines.answer(core.lines.chat(chatId), userId);
    },
    closeDialog: (chatId) => {
      // Idempotent: the app (or a job) may already have closed it.
      const chat = core.lines.chat(chatId);
      if (core.lines.activeSession(chat)) core.lines.close(chat);
    },
    setUser: (userId, patch) => {
      const u = user(userId);
      const now = core.clock();
      if (patch.active !== undefined) u.active = patch.active;
      if (patch.online !== undefined) {
        u.online = patch.online;
        if (patch.online) u.lastActivityAt = now;
      }
      if (patch.timeman !== undefined) {
        if (patch.timeman === 'OPENED' && u.timeman !== 'PAUSED') u.timemanOpenedAt = now;
        u.timeman = patch.timeman;
      }
      if (patch.absentUntil !== undefined) u.absentUntil = patch.absentUntil;
      if (patch.admin !== undefined) u.admin = patch.admin;
      if (patch.acceptsTransfers !== undefined) u.refusesTransfers = !patch.acceptsTransfers;
      return u;
    },
    addAbsence: ({ userId, from, to }) => {
      if (!(to > from)) throw new SimError('an absence ends after it starts');
      const u = user(userId);
      u.absences = [...(u.absences ?? []), { from, to }];
    },
    addUser: (n) => {
      const id = nextId(state, 'user');
      const now = core.clock();
      const u: EmuUser = {
        id,
        active: true,
        name: n.name,
        lastName: n.lastName,
        secondName: '',
        email: n.email ?? `user${id}@portal.example`,
        workPosition: n.workPosition ?? '',
        gender: n.gender ?? '',
        departments: n.departments ?? [1],
        admin: n.admin ?? false,
        online: n.online ?? true,
        lastActivityAt: now,
        timeman: n.timeman ?? 'OPENED',
        timemanOpenedAt: (n.timeman ?? 'OPENED') === 'CLOSED' ? null : now,
        absentUntil: null,
        registeredAt: now,
        lastLoginAt: now,
        timeZone: '',
        workPhone: '',
        userType: 'employee',
      };
      state.users.set(id, u);
      core.events.fire(
        'ONUSERADD',
        {
          ID: id,
          ACTIVE: 'Y',
          EMAIL: u.email,
          NAME: u.name,
          LAST_NAME: u.lastName,
          PERSONAL_GENDER: u.gender,
          PERSONAL_BIRTHDAY: '',
          UF_DEPARTMENT: u.departments,
          DATE_REGISTER: isoDate(now, core.tzOffsetMin),
          WORK_POSITION: u.workPosition,
          UF_EMPLOYMENT_DATE: '',
        },
        { actingUserId: null },
      );
      return id;
    },
    addLine: (l) => {
      const id = nextId(state, 'line');
      const now = core.clock();
      const line = {
        id,
        config: defaultLineConfig(l.name, core.language),
        queue: queueFromSeed(l.queue),
        lastAssignedAt: new Map<number, number>(),
        createdAt: now,
        modifiedAt: now,
        modifiedBy: 1,
      };
      applyLineParams(line, l.config ?? {}, core.language);
      state.lines.set(id, line);
      return id;
    },
    addLead: (l) => {
      const creator = l.createdById === undefined ? SIM_LEAD_DEFAULT_CREATOR : l.createdById;
      const fields: Record<string, unknown> = {
        title: l.title,
        sourceId: l.sourceId ?? 'WEB',
        fm: fm(l.phone, l.email),
      };
      if (l.name) fields.name = l.name;
      if (l.lastName) fields.lastName = l.lastName;
      fields.assignedById = l.assignedById ?? creator ?? (state.app.installedBy || 1);
      return addItem(core, 1, fields, creator, core.newHit()).id;
    },
    updateLead: (id, fields, byUserId = null) => {
      updateItem(core, 1, id, fields, byUserId, core.newHit());
    },
    addDeal: (d) => {
      const creator = d.createdById === undefined ? null : d.createdById;
      const fields: Record<string, unknown> = {
        title: d.title,
        categoryId: d.categoryId ?? 0,
        sourceId: d.sourceId ?? '',
        contactId: d.contactId ?? 0,
        companyId: d.companyId ?? 0,
        assignedById: d.assignedById ?? creator ?? (state.app.installedBy || 1),
      };
      return addItem(core, 2, fields, creator, core.newHit()).id;
    },
    updateDeal: (id, fields, byUserId = null) => {
      updateItem(core, 2, id, fields, byUserId, core.newHit());
    },
    convertLead: (leadId, byUserId, o = {}) => {
      const lead = state.crm.leads.get(leadId);
      if (!lead) throw new SimError(`no lead ${leadId}`);
      user(byUserId);
      const deal = addItem(
        core,
        2,
        {
          title: lead.title,
          categoryId: o.categoryId ?? 0,
          sourceId: lead.sourceId,
          contactId: lead.contactId,
          companyId: lead.companyId,
          leadId,
          assignedById: DEAL_CONVERSION_COPIES_RESPONSIBLE ? lead.assignedById : byUserId,
        },
        byUserId,
        core.newHit(),
      );
      updateItem(core, 1, leadId, { stageId: 'CONVERTED' }, byUserId, core.newHit());
      // The lead's open-line chats are bound to the deal too (entity_data_2 DEAL).
      if (DEAL_CONVERSION_BINDS_CHAT)
        for (const chat of state.chats.values()) if (chat.crm?.LEAD === leadId) chat.crm.DEAL = deal.id;
      return deal.id;
    },
    addContact: (c) =>
      addItem(
        core,
        3,
        {
          name: c.name,
          lastName: c.lastName ?? '',
          assignedById: c.assignedById,
          companyId: c.companyId ?? 0,
          fm: fm(c.phone, c.email),
        },
        null,
        core.newHit(),
      ).id,
    addCompany: (c) =>
      addItem(
        core,
        4,
        { title: c.title, assignedById: c.assignedById, fm: fm(c.phone, c.email) },
        null,
        core.newHit(),
      ).id,
    addActivity: (a) =>
      addActivity(
        core,
        {
          OWNER_TYPE_ID: a.ownerTypeId ?? 1,
          OWNER_ID: a.ownerId,
          TYPE_ID: a.typeId ?? 2,
          PROVIDER_ID: a.providerId,
          DIRECTION: a.direction ?? 2,
          COMPLETED: a.completed === false ? 'N' : 'Y',
          SUBJECT: a.subject ?? 'Call',
          RESPONSIBLE_ID: a.responsibleId ?? a.authorId,
          COMMUNICATIONS: [
            { VALUE: '+70000000000', ENTITY_ID: a.ownerId, ENTITY_TYPE_ID: a.ownerTypeId ?? 1 },
          ],
        },
        a.authorId,
      ).id,
    addComment: (c) => {
      const typeId = c.entityType === 'lead' ? 1 : c.entityType === 'contact' ? 3 : 4;
      const id = nextId(state, 'comment');
      state.crm.comments.set(id, {
        id,
        entityType: c.entityType,
        entityId: c.entityId,
        comment: c.text,
        authorId: c.authorId,
        createdAt: core.clock(),
      });
      touchTimeline(core, typeId, c.entityId, c.authorId);
      return id;
    },
    notificationsFor: (userId) => state.notifications.filter((n) => n.userId === userId && !n.replaced),
    operatorTransfers: ({ chatId, toUserId, byUserId }) => {
      user(toUserId);
      user(byUserId);
      const chat = core.lines.chat(chatId);
      const session = core.lines.activeSession(chat);
      if (!session) throw new SimError(`chat ${chatId} has no open session`);
      core.lines.transfer(
        chat,
        session,
        { userId: toUserId },
        { leaveBot: true, actingUserId: byUserId },
        core.newHit(),
      );
    },
    runTimers: () => core.lines.runTimers(),
  };
}
