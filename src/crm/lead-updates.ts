import type { CrmChange } from '../owner/hooks.ts';
import { commandError, isNotFound } from './batch.ts';
import type { CrmKind } from './kind.ts';
import type { LeadFacts } from './lead-read.ts';
import {
  type ClientSource,
  kindOf,
  type LeadServiceDeps,
  readBatch,
  resolveClient,
  type UpdateOutcome,
} from './lead-types.ts';

/**
 * ONCRMLEADUPDATE (and ONCRMDEALUPDATE). The app's own write is recognised without a read (the
 * first update inside the echo window after it); any other update of a lead the register knows
 * is read once, and a new responsible or status is recorded (a person's reassignment moves the
 * load, it is not redistributed). Leads the app never saw are not its business — unless the
 * one-owner policy watches them (an open chat is linked to them): then a new responsible is
 * reported to it (owner/hooks.ts), as it is for the leads the register knows.
 */
export async function leadUpdated(
  d: LeadServiceDeps,
  memberId: string,
  leadId: number,
  client: ClientSource,
  byPerson = false,
): Promise<UpdateOutcome> {
  const kind = kindOf(d);
  const settings = await kind.settings(d.settings, memberId);
  const row = settings.enabled ? await d.leads.get(memberId, leadId) : undefined;
  if (!row) {
    if (await reportToOwner(d, kind, memberId, leadId, client, byPerson, null)) return 'owner';
    return settings.enabled ? 'unknown' : 'disabled';
  }
  // 'decided': the add handler is still writing (events of one lead run in order) or gave up.
  if (row.phase === 'gone' || row.phase === 'decided') return 'unknown';
  if (await d.leads.consumeEcho(memberId, leadId, d.clock())) return 'own';
  const read = await readItem(d, kind, memberId, leadId, client);
  if (read === 'gone') return 'gone';
  const lead = read?.facts;
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
      `${kind.name} reassigned on the portal; its load moves along`,
    );
    await d.owner?.()?.crmChanged(changeOf(d, kind, memberId, read!, byPerson, row.holderId));
  }
  return moved ? 'moved' : 'unchanged';
}

interface ReadItem {
  facts: LeadFacts | null;
  updatedBy: number | null;
  updatedAt: number | null;
}

async function readItem(
  d: LeadServiceDeps,
  kind: CrmKind,
  memberId: string,
  id: number,
  client: ClientSource,
): Promise<ReadItem | 'gone'> {
  // One read, in one batch with other items' reads while one is on its way (batch-merger.ts).
  const r = await readBatch(d, await resolveClient(client), {
    item: ['crm.item.get', { entityTypeId: kind.entityTypeId, id }],
  });
  if (r.errors.item) {
    if (isNotFound(r.errors.item)) {
      await d.leads.markGone(memberId, id, d.clock());
      return 'gone';
    }
    throw commandError('crm.item.get', r.errors.item);
  }
  const result = r.results.item;
  const item = (result as { item?: Record<string, unknown> } | null)?.item ?? {};
  const by = Number(item.updatedBy);
  const at = Date.parse(String(item.updatedTime ?? ''));
  return {
    facts: kind.parse(result),
    updatedBy: Number.isInteger(by) && by > 0 ? by : null,
    updatedAt: Number.isFinite(at) ? at : null,
  };
}

function changeOf(
  d: LeadServiceDeps,
  kind: CrmKind,
  memberId: string,
  read: ReadItem,
  byPerson: boolean,
  from: number | null,
): CrmChange {
  const f = read.facts!;
  return {
    memberId,
    entity: kind.name,
    id: f.id,
    from,
    to: f.assignedById,
    byPerson,
    by: byPerson ? read.updatedBy : null,
    at: read.updatedAt ?? d.clock(),
    userCode: f.userCode,
  };
}

/** An item outside the register whose open chat the one-owner policy watches: its responsible, reported. */
async function reportToOwner(
  d: LeadServiceDeps,
  kind: CrmKind,
  memberId: string,
  id: number,
  client: ClientSource,
  byPerson: boolean,
  from: number | null,
): Promise<boolean> {
  const owner = d.owner?.();
  if (!owner || !(await owner.watches(memberId, kind.name, id))) return false;
  const read = await readItem(d, kind, memberId, id, client);
  if (read === 'gone' || !read.facts) return false;
  await owner.crmChanged(changeOf(d, kind, memberId, read, byPerson, from));
  return true;
}
