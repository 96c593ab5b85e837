import type { CrmEntity, CrmLink } from '../engine/index.ts';
import type { BatchResult, Call } from '../portal/client.ts';

/** Entity type ids of the universal CRM API. */
export const LEAD = 1;
export const CONTACT = 3;
export const COMPANY = 4;

/** What the lead handler needs to know about one lead, read with crm.item.get. */
export interface LeadFacts {
  id: number;
  assignedById: number;
  createdById: number;
  statusId: string;
  sourceId: string;
  contactId: number;
  companyId: number;
  /** USER_CODE of the open-line dialog the lead came from (`connector|line|chat|user`), if any */
  userCode: string | null;
  lineId: number | null;
}

/**
 * The first read of a new lead: the lead itself and, when some queue routes known clients to
 * their manager, everything needed to find that manager, in one batch request. Later
 * commands take their arguments from earlier answers (`$result[...]`): the lead's first phone
 * and e-mail go to crm.duplicate.findbycomm, and the first match of each kind, plus the lead's
 * own contact and company, are read for their assignedById. A reference to nothing makes its
 * command fail, which the batch reports per command and this reader ignores.
 */
export function leadReadCommands(leadId: number, findClient: boolean): Record<string, Call> {
  const calls: Record<string, Call> = { lead: ['crm.item.get', { entityTypeId: LEAD, id: leadId }] };
  if (!findClient) return calls;
  calls.byPhone = ['crm.duplicate.findbycomm', { type: 'PHONE', values: ['$result[lead][item][phone]'] }];
  calls.byEmail = ['crm.duplicate.findbycomm', { type: 'EMAIL', values: ['$result[lead][item][email]'] }];
  for (const [label, entityTypeId, ref] of LINK_READS)
    calls[label] = ['crm.item.get', { entityTypeId, id: ref }];
  return calls;
}

/** label, entity type, and where its id comes from; in order of preference within a kind. */
const LINK_READS: [label: string, entityTypeId: number, ref: string][] = [
  ['contactOwn', CONTACT, '$result[lead][item][contactId]'],
  ['contactByPhone', CONTACT, '$result[byPhone][CONTACT][0]'],
  ['contactByEmail', CONTACT, '$result[byEmail][CONTACT][0]'],
  ['companyOwn', COMPANY, '$result[lead][item][companyId]'],
  ['companyByPhone', COMPANY, '$result[byPhone][COMPANY][0]'],
  ['companyByEmail', COMPANY, '$result[byEmail][COMPANY][0]'],
  ['leadByPhone', LEAD, '$result[byPhone][LEAD][0]'],
  ['leadByEmail', LEAD, '$result[byEmail][LEAD][0]'],
];

const LINK_LABELS: Record<CrmEntity, string[]> = {
  contact: ['contactOwn', 'contactByPhone', 'contactByEmail'],
  company: ['companyOwn', 'companyByPhone', 'companyByEmail'],
  lead: ['leadByPhone', 'leadByEmail'],
};

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
    userCode,
    lineId: userCode ? int(userCode.split('|')[1]) : null,
  };
}

/**
 * The client's CRM links found by the read, one per kind: the lead's own contact or company
 * first, then a match by phone, then by e-mail. The lead itself is not its own client.
 */
export function parseLinks(r: BatchResult, leadId: number): CrmLink[] {
  const links: CrmLink[] = [];
  for (const entity of ['contact', 'company', 'lead'] as const) {
    for (const label of LINK_LABELS[entity]) {
      const item = (r.results[label] as { item?: Record<string, unknown> } | undefined)?.item;
      const id = int(item?.id);
      const responsibleId = int(item?.assignedById);
      if (id === null || responsibleId === null || responsibleId <= 0) continue;
      if (entity === 'lead' && id === leadId) continue;
      links.push({ entity, responsibleId });
      break;
    }
  }
  return links;
}

/**
 * The open-line identity a lead made from a dialog carries: the IM multifield of type
 * OPENLINE, `imol|<USER_CODE>` (reference §3.1, §3.9). `fm` holds every value; the flat `imol`
 * alias only the first.
 */
function userCodeOf(item: Record<string, unknown>): string | null {
  const fm = Array.isArray(item.fm) ? (item.fm as Record<string, unknown>[]) : [];
  const values = fm
    .filter((f) => String(f.typeId ?? '').toUpperCase() === 'IM')
    .map((f) => String(f.value ?? ''));
  if (typeof item.imol === 'string') values.push(item.imol);
  for (const v of values) {
    const m = /^imol\|(.+)$/.exec(v.trim());
    if (m && m[1].split('|').length >= 2) return m[1];
  }
  return null;
}

function int(v: unknown): number | null {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
}
