import type { CrmEntity, CrmLink } from '../engine/index.ts';
import type { BatchResult, Call } from '../portal/client.ts';

/** Entity type ids of the universal CRM API. */
export const LEAD = 1;
export const DEAL = 2;
export const CONTACT = 3;
export const COMPANY = 4;

const TYPE_OF: Record<CrmEntity, number> = { contact: CONTACT, company: COMPANY, lead: LEAD };

/** What the lead handler needs to know about one lead, read with crm.item.get. */
export interface LeadFacts {
  id: number;
  assignedById: number;
  createdById: number;
  statusId: string;
  sourceId: string;
  contactId: number;
  companyId: number;
  hasPhone: boolean;
  hasEmail: boolean;
  /** USER_CODE of the open-line dialog the lead came from (`connector|line|chat|user`), if any */
  userCode: string | null;
  lineId: number | null;
  /** a deal's pipeline (CATEGORY_ID); null for a lead */
  categoryId: number | null;
  /** a deal's lead (the one it was converted from); 0 = none */
  sourceLeadId: number;
}

/**
 * The first read of a new lead, one batch: the lead and, when some queue sends known clients
 * to their manager, crm.duplicate.findbycomm for its first phone and first e-mail, taken from
 * the lead's answer (`$result[lead][item][phone]`, the flat aliases crm.item.get returns). A
 * lead without one makes that search fail, which the batch reports per command.
 */
export function leadReadCommands(
  leadId: number,
  findClient: boolean,
  entityTypeId = LEAD,
): Record<string, Call> {
  const calls: Record<string, Call> = { lead: ['crm.item.get', { entityTypeId, id: leadId }] };
  if (!findClient) return calls;
  calls.byPhone = ['crm.duplicate.findbycomm', { type: 'PHONE', values: ['$result[lead][item][phone]'] }];
  calls.byEmail = ['crm.duplicate.findbycomm', { type: 'EMAIL', values: ['$result[lead][item][email]'] }];
  return calls;
}

/** The lead's facts from a crm.item.get answer (`{item}`), or null if it holds no lead. */
export function parseLead(result: unknown): LeadFacts | null {
  const item = (result as { item?: Record<string, unknown> } | null)?.item;
  const id = int(item?.id);
  if (!item || id === null) return null;
  const userCode = userCodeOf(item);
  return {
    id,
    assignedById: int(item.assignedById) ?? 0,
    createdById: int(item.createdBy ?? item.createdById) ?? 0,
    statusId: String(item.stageId ?? item.statusId ?? ''),
    sourceId: String(item.sourceId ?? ''),
    contactId: int(item.contactId) ?? 0,
    companyId: int(item.companyId) ?? 0,
    hasPhone: hasComm(item, 'PHONE', 'phone'),
    hasEmail: hasComm(item, 'EMAIL', 'email'),
    userCode,
    lineId: userCode ? int(userCode.split('|')[1]) : null,
    categoryId: int(item.categoryId),
    sourceLeadId: int(item.leadId) ?? 0,
  };
}

/** Candidate ids per kind, best first: the lead's own contact/company, then matches by phone, then by e-mail. */
export type ClientMatches = Record<CrmEntity, number[]>;

/**
 * Who the client may be, from the first read. A search is trusted only if the lead has that
 * kind of value: a search run on an empty or unresolved reference says nothing about it.
 */
export function clientMatches(r: BatchResult, lead: LeadFacts): ClientMatches {
  const found = (label: string, ok: boolean, key: string) =>
    ok && !r.errors[label] ? ids((r.results[label] as Record<string, unknown> | undefined)?.[key]) : [];
  const kind = (own: number, key: string) =>
    unique([
      ...(own > 0 ? [own] : []),
      ...found('byPhone', lead.hasPhone, key),
      ...found('byEmail', lead.hasEmail, key),
    ]);
  return {
    contact: kind(lead.contactId, 'CONTACT'),
    company: kind(lead.companyId, 'COMPANY'),
    lead: kind(0, 'LEAD').filter((id) => id !== lead.id),
  };
}

/**
 * The second read, only when there is a client to look at: each kind's best candidate, by id,
 * for its assignedById (one batch, at most three commands). The engine uses the link of the
 * highest precedence, so one candidate per kind is all it needs.
 */
export function linkReadCommands(m: ClientMatches): Record<string, Call> {
  const calls: Record<string, Call> = {};
  for (const entity of ['contact', 'company', 'lead'] as const) {
    const id = m[entity][0];
    if (id !== undefined) calls[entity] = ['crm.item.get', { entityTypeId: TYPE_OF[entity], id }];
  }
  return calls;
}

/** The client's CRM links from the second read: the responsible of each kind found. */
export function parseLinks(r: BatchResult): CrmLink[] {
  const links: CrmLink[] = [];
  for (const entity of ['contact', 'company', 'lead'] as const) {
    const item = (r.results[entity] as { item?: Record<string, unknown> } | undefined)?.item;
    const responsibleId = int(item?.assignedById);
    if (responsibleId !== null && responsibleId > 0) links.push({ entity, responsibleId });
  }
  return links;
}

/**
 * The open-line identity a lead made from a dialog carries: the IM multifield of type
 * OPENLINE, `imol|<USER_CODE>` (reference §3.1, §3.9). `fm` holds every value; the flat `imol`
 * alias only the first.
 */
function userCodeOf(item: Record<string, unknown>): string | null {
  const values = fmValues(item, 'IM');
  if (typeof item.imol === 'string') values.push(item.imol);
  for (const v of values) {
    const m = /^imol\|(.+)$/.exec(v.trim());
    if (m && m[1].split('|').length >= 2) return m[1];
  }
  return null;
}

function hasComm(item: Record<string, unknown>, typeId: string, alias: string): boolean {
  if (fmValues(item, typeId).some((v) => v.trim() !== '')) return true;
  return typeof item[alias] === 'string' && (item[alias] as string).trim() !== '';
}

function fmValues(item: Record<string, unknown>, typeId: string): string[] {
  const fm = Array.isArray(item.fm) ? (item.fm as Record<string, unknown>[]) : [];
  return fm.filter((f) => String(f.typeId ?? '').toUpperCase() === typeId).map((f) => String(f.value ?? ''));
}

function ids(v: unknown): number[] {
  const list = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
  return list.map(int).filter((n): n is number => n !== null && n > 0);
}

function unique(xs: number[]): number[] {
  return [...new Set(xs)];
}

function int(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}
