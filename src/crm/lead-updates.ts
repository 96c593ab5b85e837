import { LEAD, type LeadFacts, parseLead } from './lead-read.ts';
import { commandError, isNotFound } from './batch.ts';
import {
  type ClientSource,
  type LeadServiceDeps,
  readBatch,
  resolveClient,
  type UpdateOutcome,
} from './lead-types.ts';

/**
 * ONCRMLEADUPDATE. The app's own write is recognised without a read (the first update
 * inside the echo window after it); any other update of a lead the register knows is read
 * once, and a new responsible or status is recorded (a person's reassignment moves the load,
 * it is not redistributed). Leads the app never saw are not its business.
 */
export async function leadUpdated(
  d: LeadServiceDeps,
  memberId: string,
  leadId: number,
  client: ClientSource,
): Promise<UpdateOutcome> {
  const settings = await d.settings.leads(memberId);
  if (!settings.enabled) return 'disabled';
  const row = await d.leads.get(memberId, leadId);
  // 'decided': the add handler is still writing (events of one lead run in order) or gave up.
  if (!row || row.phase === 'gone' || row.phase === 'decided') return 'unknown';
  if (await d.leads.consumeEcho(memberId, leadId, d.clock())) return 'own';
  // One read of the lead, in one batch with other leads' reads while one is on its way.
  const r = await readBatch(d, await resolveClient(client), {
    lead: ['crm.item.get', { entityTypeId: LEAD, id: leadId }],
  });
  if (r.errors.lead) {
    if (isNotFound(r.errors.lead)) {
      await d.leads.markGone(memberId, leadId, d.clock());
      return 'gone';
    }
    throw commandError('crm.item.get', r.errors.lead);
  }
  const lead: LeadFacts | null = parseLead(r.results.lead);
  if (!lead) return 'unknown';
  const moved = lead.assignedById !== row.holderId;
  await d.leads.observe(memberId, leadId, {
    holderId: lead.assignedById || null,
    statusId: lead.statusId || null,
    at: d.clock(),
  });
  if (moved) {
    d.log.info(
      { memberId, leadId, from: row.holderId, to: lead.assignedById },
      'lead reassigned on the portal; its load moves along',
    );
  }
  return moved ? 'moved' : 'unchanged';
}
