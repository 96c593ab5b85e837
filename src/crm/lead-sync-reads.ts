import type { LeadSyncMark } from '../db/repositories/lead-sync-marks.ts';
import type { SyncedLead } from '../db/repositories/leads.ts';
import type { Call, PortalClient } from '../portal/client.ts';
import { commandError } from './batch.ts';
import { type CrmKind, LEAD_KIND } from './kind.ts';

/**
 * What the lead sync reads from the portal, so that its cost follows what changed, not how many
 * leads are open (issue 20: a sync with 400 open leads costs what one with 4 costs).
 *
 * Every run sends ONE batch request (more only when more than a page of leads changed):
 * - `now`: server.time, first, so the mark for the next run is the portal's own clock as of
 *   before these reads (the app's clock never decides what "since" means).
 * - Full read (the first sync, a change of queue members or open statuses, and every
 *   FULL_READ_EVERY_MS): every open lead of the operators — the first page here, the rest in one
 *   more batch.
 * - Otherwise `changed`: leads of those operators whose updatedTime is at or after the last
 *   run's mark less CHANGE_OVERLAP_MS (a change committed while the last run read is still
 *   caught). A lead closed, converted, reassigned between operators or taken in hand changes its
 *   updatedTime, so this is what moves a load. And `sweep`: SWEEP_LEADS of the register's open
 *   leads by id, the longest unchecked first: a lead deleted, or moved to someone outside the
 *   queues while its ONCRMLEADUPDATE was lost, is no longer "an operator's", so only a slow
 *   walk through the register finds it; with 400 open leads each is looked at every 8 runs.
 */
export const SWEEP_LEADS = 50;
export const CHANGE_OVERLAP_MS = 60_000;
export const FULL_READ_EVERY_MS = 6 * 3600_000;
const PAGE = 50;

export interface LeadSyncScope {
  /** everyone whose open leads count: queue members and holders in the register */
  operators: readonly number[];
  /** the queue members alone: a change of them (or of the statuses) reads everything again */
  members: readonly number[];
  statuses: readonly string[];
}

export interface LeadReads {
  full: boolean;
  /** open leads held by the operators, as read */
  found: SyncedLead[];
  /** every lead id this run looked at (found or not: not found means closed, gone or moved away) */
  looked: number[];
  /** list rows the portal returned */
  rows: number;
  /** the mark to keep for the next run */
  mark: LeadSyncMark;
}

export function scopeKey(s: Pick<LeadSyncScope, 'members' | 'statuses'>): string {
  const members = [...new Set(s.members)].sort((a, b) => a - b);
  return `${members.join(',')}|${[...s.statuses].sort().join(',')}`;
}

/** Reads what the sync needs this run (full, or changed + sweep), see above. */
export async function readLeads(
  client: PortalClient,
  scope: LeadSyncScope,
  mark: LeadSyncMark | undefined,
  sweepIds: readonly number[],
  now: number,
  kind: CrmKind = LEAD_KIND,
): Promise<LeadReads> {
  const key = scopeKey(scope);
  const full = !mark || mark.scope !== key || mark.since === null || now - mark.fullAt >= FULL_READ_EVERY_MS;
  if (scope.statuses.length === 0 || scope.operators.length === 0) {
    return { full, found: [], looked: [], rows: 0, mark: { scope: key, since: null, fullAt: now } };
  }
  const filter: Record<string, unknown> = full
    ? { '@assignedById': [...scope.operators], [`@${kind.statusField}`]: [...scope.statuses] }
    : {
        '>=updatedTime': shiftIso(mark!.since!, -CHANGE_OVERLAP_MS),
        '@assignedById': [...scope.operators],
      };
  const params = listParams(kind, filter);
  const calls: Record<string, Call> = {
    now: ['server.time', {}],
    list: ['crm.item.list', { ...params, start: 0 }],
  };
  if (!full && sweepIds.length > 0)
    calls.sweep = ['crm.item.list', { ...listParams(kind, { '@id': [...sweepIds] }), start: 0 }];
  const r = await client.batch(calls);
  for (const [label, [method]] of Object.entries(calls)) {
    const e = r.errors[label];
    if (e) throw commandError(method, e);
  }
  const since = typeof r.results.now === 'string' ? r.results.now : null;
  if (since === null || !Number.isFinite(Date.parse(since)))
    throw new Error(`server.time answered ${JSON.stringify(r.results.now)}`);

  const listed = itemsOf(r.results.list);
  const total = r.totals?.list ?? listed.length;
  if (total > listed.length) {
    // The rest of the list in one more batch (a full read, or more than a page changed).
    const more: Record<string, Call> = {};
    for (let start = PAGE; start < total; start += PAGE)
      more[`p${start}`] = ['crm.item.list', { ...params, start }];
    const m = await client.batch(more);
    for (const label of Object.keys(more)) {
      const e = m.errors[label];
      if (e) throw commandError('crm.item.list', e);
      listed.push(...itemsOf(m.results[label]));
    }
  }
  const all = [...listed, ...itemsOf(r.results.sweep)];
  const found = openOf(all, scope, kind);
  const looked = new Set<number>(full ? [] : sweepIds);
  for (const it of all) {
    const id = Number((it as Record<string, unknown>).id);
    if (Number.isInteger(id)) looked.add(id);
  }
  return {
    full,
    found,
    looked: [...looked],
    rows: all.length,
    mark: { scope: key, since, fullAt: full ? now : mark!.fullAt },
  };
}

function listParams(kind: CrmKind, filter: Record<string, unknown>): Record<string, unknown> {
  return {
    entityTypeId: kind.entityTypeId,
    filter,
    select: ['id', 'assignedById', kind.statusField],
    order: { id: 'ASC' },
  };
}

function itemsOf(result: unknown): unknown[] {
  const items = (result as { items?: unknown } | undefined)?.items;
  return Array.isArray(items) ? [...items] : [];
}

/** The open leads held by the scope's operators, once each. */
function openOf(items: readonly unknown[], scope: LeadSyncScope, kind: CrmKind): SyncedLead[] {
  const open = new Set(scope.statuses);
  const ours = new Set(scope.operators);
  const out = new Map<number, SyncedLead>();
  for (const raw of items) {
    const it = raw as Record<string, unknown>;
    const leadId = Number(it.id);
    const holderId = Number(it.assignedById);
    const statusId = String(it[kind.statusField] ?? '');
    if (!Number.isInteger(leadId) || !Number.isInteger(holderId)) continue;
    if (open.has(statusId) && ours.has(holderId)) out.set(leadId, { leadId, holderId, statusId });
  }
  return [...out.values()];
}

/**
 * `iso` moved by `deltaMs`, written in the same UTC offset as `iso` (`2024-07-18T12:32:31+03:00`
 * − 2 min → `2024-07-18T12:30:31+03:00`), so the portal reads it in its own terms.
 */
export function shiftIso(iso: string, deltaMs: number): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`not a date: ${iso}`);
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  const offsetMin = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  const d = new Date(ms + deltaMs + offsetMin * 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const suffix = m ? `${m[1]}${m[2]}:${m[3]}` : '+00:00';
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${suffix}`
  );
}
