import type { LeadFacts } from './lead-read.ts';
import {
  type ClientSource,
  kindOf,
  type LeadServiceDeps,
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
  const kind = kindOf(d);
  const settings = await kind.settings(d.settings, memberId);
  if (!settings.enabled) return 'disabled';
  const row = await d.leads.get(memberId, leadId);
  // 'decided': the add handler is still writing (events of one lead run in order) or gave up.
  if (!row || row.phase === 'gone' || row.phase === 'decided') return 'unknown';
  if (await d.leads.consumeEcho(memberId, leadId, d.clock())) return 'own';
  let lead: LeadFacts | null;
  try {
    const c = await resolveClient(client);
    lead = kind.parse(await c.call('crm.item.get', { entityTypeId: kind.entityTypeId, id: leadId }));
  } catch (err) {
    if ((err as { code?: string }).code === 'not_found') {
      await d.leads.markGone(memberId, leadId, d.clock());
      return 'gone';
    }
    throw err;
  }
  if (!lead) return 'unknown';
  if (row.phase === 'waiting') {
    // Its source or pipeline changed while it waited: it waits in the queue it belongs to now.
    const queue = kind.queueFor(settings, lead);
    if (queue.id !== row.queueId) await d.leads.requeue(memberId, leadId, queue.id, d.clock());
  }
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
