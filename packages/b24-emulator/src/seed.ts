import type { CrmItem, EmuUser, PortalState, QueueEntry, TimemanStatus } from './model.ts';
import { defaultLineConfig } from './openlines/line-config.ts';

export interface SeedUser {
  id: number;
  name: string;
  lastName: string;
  email?: string;
  admin?: boolean;
  active?: boolean;
  online?: boolean;
  timeman?: TimemanStatus;
  absentUntil?: string | null;
  departments?: number[];
  workPosition?: string;
  gender?: 'M' | 'F' | '';
}

export interface SeedDepartment {
  id: number;
  name: string;
  parent?: number | null;
  headId?: number | null;
  sort?: number;
}

export interface SeedLine {
  id: number;
  name: string;
  /** user ids, or explicit entries */
  queue: Array<number | { type: 'user' | 'department'; id: number }>;
  /** any config.get field, e.g. { QUEUE_TYPE: 'strictly', CRM: 'Y' } */
  config?: Record<string, unknown>;
}

export interface SeedCrmItem {
  id?: number;
  title?: string;
  name?: string;
  lastName?: string;
  assignedById: number;
  phone?: string;
  email?: string;
  sourceId?: string;
  stageId?: string;
  companyId?: number;
}

export interface SeedDealCategory {
  id: number;
  name: string;
  sort?: number;
}

export interface PortalSeed {
  departments?: SeedDepartment[];
  /** deal pipelines besides the general one (id 0) */
  dealCategories?: SeedDealCategory[];
  users?: SeedUser[];
  lines?: SeedLine[];
  leads?: SeedCrmItem[];
  contacts?: SeedCrmItem[];
  companies?: SeedCrmItem[];
}

/** A small realistic portal: one admin, two departments of operators in mixed states, two lines. */
export function defaultSeed(language: 'ru' | 'en'): PortalSeed {
  const ru = language === 'ru';
  const n = (r: string, e: string) => (ru ? r : e);
  return {
    departments: [
      { id: 1, name: n('Компания', 'Company'), parent: null, headId: 1 },
      { id: 2, name: n('Отдел продаж', 'Sales'), parent: 1, headId: 2 },
      { id: 3, name: n('Поддержка', 'Support'), parent: 1, headId: 6 },
    ],
    users: [
      {
        id: 1,
        name: n('Анна', 'Anna'),
        lastName: n('Смирнова', 'Smith'),
        admin: true,
        departments: [1],
        workPosition: n('Администратор', 'Administrator'),
        gender: 'F',
      },
      {
        id: 2,
        name: n('Борис', 'Boris'),
        lastName: n('Иванов', 'Ivanov'),
        departments: [2],
        workPosition: n('Руководитель продаж', 'Head of sales'),
        gender: 'M',
      },
      {
        id: 3,
        name: n('Вера', 'Vera'),
        lastName: n('Петрова', 'Petrova'),
        departments: [2],
        workPosition: n('Менеджер', 'Sales manager'),
        gender: 'F',
      },
      {
        id: 4,
        name: n('Глеб', 'Gleb'),
        lastName: n('Соколов', 'Sokolov'),
        departments: [2],
        workPosition: n('Менеджер', 'Sales manager'),
        gender: 'M',
        timeman: 'PAUSED',
      },
      {
        id: 5,
        name: n('Дарья', 'Daria'),
        lastName: n('Кузнецова', 'Kuznetsova'),
        departments: [2],
        workPosition: n('Менеджер', 'Sales manager'),
        gender: 'F',
        online: false,
        timeman: 'CLOSED',
      },
      {
        id: 6,
        name: n('Егор', 'Egor'),
        lastName: n('Волков', 'Volkov'),
        departments: [3],
        workPosition: n('Старший оператор', 'Lead agent'),
        gender: 'M',
      },
      {
        id: 7,
        name: n('Жанна', 'Zhanna'),
        lastName: n('Морозова', 'Morozova'),
        departments: [3],
        workPosition: n('Оператор', 'Agent'),
        gender: 'F',
      },
      {
        id: 8,
        name: n('Захар', 'Zakhar'),
        lastName: n('Новиков', 'Novikov'),
        departments: [3],
        workPosition: n('Оператор', 'Agent'),
        gender: 'M',
        absentUntil: '2099-12-31',
      },
      {
        id: 9,
        name: n('Ирина', 'Irina'),
        lastName: n('Лебедева', 'Lebedeva'),
        departments: [3],
        workPosition: n('Оператор', 'Agent'),
        gender: 'F',
        active: false,
        online: false,
        timeman: 'CLOSED',
      },
    ],
    lines: [
      {
        id: 1,
        name: n('Продажи', 'Sales'),
        queue: [{ type: 'department', id: 2 }],
        config: { QUEUE_TYPE: 'evenly', CRM: 'Y', CRM_CREATE: 'lead' },
      },
      {
        id: 2,
        name: n('Поддержка', 'Support'),
        queue: [6, 7, 8, 9],
        config: { QUEUE_TYPE: 'strictly', QUEUE_TIME: '120' },
      },
    ],
    companies: [
      {
        id: 3001,
        title: n('ООО «Ромашка»', 'Daisy Ltd'),
        assignedById: 2,
        phone: '+7 495 111-22-33',
        email: 'office@daisy.example',
      },
    ],
    contacts: [
      {
        id: 2001,
        name: n('Олег', 'Oleg'),
        lastName: n('Клиентов', 'Client'),
        assignedById: 3,
        phone: '+7 916 555-01-01',
        email: 'oleg@client.example',
        companyId: 3001,
      },
      {
        id: 2002,
        name: n('Полина', 'Polina'),
        lastName: n('Покупаева', 'Buyer'),
        assignedById: 6,
        phone: '+7 916 555-02-02',
      },
    ],
    leads: [
      {
        id: 1001,
        title: n('Запрос с сайта', 'Website enquiry'),
        assignedById: 3,
        phone: '+7 903 777-00-01',
        sourceId: 'WEB',
      },
    ],
  };
}

function userFromSeed(s: SeedUser, now: number): EmuUser {
  const timeman = s.timeman ?? 'OPENED';
  return {
    id: s.id,
    active: s.active ?? true,
    name: s.name,
    lastName: s.lastName,
    secondName: '',
    email: s.email ?? `user${s.id}@portal.example`,
    workPosition: s.workPosition ?? '',
    gender: s.gender ?? '',
    departments: s.departments ?? [1],
    admin: s.admin ?? false,
    online: s.online ?? true,
    lastActivityAt: now - 60_000,
    timeman,
    timemanOpenedAt: timeman === 'CLOSED' ? null : now - 2 * 3600_000,
    absentUntil: s.absentUntil ?? null,
    registeredAt: now - 365 * 24 * 3600_000,
    lastLoginAt: now - 3600_000,
    timeZone: '',
    workPhone: '',
    userType: 'employee',
  };
}

export function queueFromSeed(queue: SeedLine['queue']): QueueEntry[] {
  return queue.map((q) =>
    typeof q === 'number' ? { entityType: 'user', entityId: q } : { entityType: q.type, entityId: q.id },
  );
}

export function crmItemFromSeed(
  entityTypeId: 1 | 3 | 4,
  id: number,
  s: SeedCrmItem,
  now: number,
  nextFm: () => number,
): CrmItem {
  const fm: CrmItem['fm'] = [];
  if (s.phone) fm.push({ id: nextFm(), typeId: 'PHONE', valueType: 'WORK', value: s.phone });
  if (s.email) fm.push({ id: nextFm(), typeId: 'EMAIL', valueType: 'WORK', value: s.email });
  const defaultStage = entityTypeId === 1 ? 'NEW' : entityTypeId === 3 ? 'CLIENT' : 'CUSTOMER';
  return {
    entityTypeId,
    id,
    title: s.title ?? (entityTypeId === 1 ? `Lead #${id}` : ''),
    name: s.name ?? '',
    lastName: s.lastName ?? '',
    secondName: '',
    assignedById: s.assignedById,
    sourceId: s.sourceId ?? (entityTypeId === 1 ? 'WEB' : ''),
    sourceDescription: '',
    stageId: s.stageId ?? defaultStage,
    companyId: s.companyId ?? 0,
    contactId: 0,
    categoryId: 0,
    leadId: 0,
    comments: '',
    opened: 'Y',
    createdBy: 1,
    updatedBy: 1,
    createdAt: now - 24 * 3600_000,
    updatedAt: now - 24 * 3600_000,
    fm,
    movedBy: 1,
    movedTime: now - 24 * 3600_000,
    lastActivityBy: 1,
    lastActivityTime: now - 24 * 3600_000,
  };
}

export function buildState(seed: PortalSeed, now: number, language: 'ru' | 'en'): PortalState {
  const maxId = (xs: Array<{ id?: number }> | undefined, floor: number) =>
    Math.max(floor, ...(xs ?? []).map((x) => x.id ?? 0)) + 1;
  const state: PortalState = {
    users: new Map(),
    departments: new Map(),
    lines: new Map(),
    clients: new Map(),
    chats: new Map(),
    sessions: new Map(),
    messages: new Map(),
    crm: {
      leads: new Map(),
      deals: new Map(),
      dealCategories: new Map([
        [0, { id: 0, name: language === 'ru' ? 'Общая' : 'General', sort: 100, isDefault: true }],
      ]),
      contacts: new Map(),
      companies: new Map(),
      comments: new Map(),
      activities: new Map(),
    },
    notifications: [],
    bots: new Map(),
    bindings: new Map(),
    offlineQueue: new Map(),
    app: {
      present: false,
      installed: false,
      applicationToken: '',
      installedBy: 0,
      version: 1,
      appBaseUrl: null,
      installPath: '/install',
      appPath: '/app',
    },
    // Distinct id ranges per kind make a chat id passed as a session id fail loudly in tests.
    seq: {
      user: maxId(seed.users, 100),
      chat: 1001,
      session: 5001,
      message: 70001,
      lead: maxId(seed.leads, 1000),
      deal: 4001,
      dealCategory: maxId(seed.dealCategories, 0),
      contact: maxId(seed.contacts, 2000),
      company: maxId(seed.companies, 3000),
      multifield: 11001,
      comment: 901,
      activity: 40001,
      notification: 90001,
      binding: 401,
      offline: 1,
      queueItem: 201,
      connectorChat: 1501,
      line: maxId(seed.lines, 0),
    },
  };
  for (const d of seed.departments ?? []) {
    state.departments.set(d.id, {
      id: d.id,
      name: d.name,
      sort: d.sort ?? 500,
      parent: d.parent ?? null,
      headId: d.headId ?? null,
    });
  }
  for (const u of seed.users ?? []) state.users.set(u.id, userFromSeed(u, now));
  for (const l of seed.lines ?? []) {
    const config = { ...defaultLineConfig(l.name, language), ...(l.config ?? {}) };
    state.lines.set(l.id, {
      id: l.id,
      config,
      queue: queueFromSeed(l.queue),
      lastAssignedAt: new Map(),
      createdAt: now - 30 * 24 * 3600_000,
      modifiedAt: now - 30 * 24 * 3600_000,
      modifiedBy: 1,
    });
  }
  for (const c of seed.dealCategories ?? []) {
    state.crm.dealCategories.set(c.id, { id: c.id, name: c.name, sort: c.sort ?? 200, isDefault: false });
  }
  const nextFm = () => state.seq.multifield++;
  const put = (
    entityTypeId: 1 | 3 | 4,
    map: Map<number, CrmItem>,
    items: SeedCrmItem[] | undefined,
    seqKey: 'lead' | 'contact' | 'company',
  ) => {
    for (const s of items ?? []) {
      const id = s.id ?? state.seq[seqKey]++;
      map.set(id, crmItemFromSeed(entityTypeId, id, s, now, nextFm));
    }
  };
  put(1, state.crm.leads, seed.leads, 'lead');
  put(3, state.crm.contacts, seed.contacts, 'contact');
  put(4, state.crm.companies, seed.companies, 'company');
  return state;
}
