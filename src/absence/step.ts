import type { AbsenceRepository, AbsenceRow } from '../db/repositories/absences.ts';
import type { CrmKind } from '../crm/kind.ts';
import type { LeadFacts } from '../crm/lead-read.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import type { OperatorDirectory } from '../operators/index.ts';
import type { PortalClient } from '../portal/client.ts';
import { handoverRule } from '../settings/absences.ts';
import type { SettingsService } from '../settings/service.ts';
import type { Cover } from './cover.ts';
import { untouchedItems } from './untouched.ts';

/** What the step needs of open lines and of the lead and deal services (found in ctx.services). */
export interface HandoverParts {
  dialogs(): {
    lines(memberId: string): Promise<{ queue: number[] }[]>;
    handOverDialogs(
      memberId: string,
      client: PortalClient,
      userId: number,
      o: { deputy: number | null; cover: Cover },
    ): Promise<{ toDeputy: number; redistributed: number; waiting: number; stayed: number }>;
  } | null;
  crm(): {
    kind: CrmKind;
    handOver(
      memberId: string,
      f: LeadFacts,
      c: PortalClient,
      h: { to: number | null; cover: Cover },
    ): Promise<string>;
  }[];
}

export interface AbsenceStepDeps {
  repo: AbsenceRepository;
  settings: SettingsService;
  directory: OperatorDirectory;
  parts: HandoverParts;
}

/**
 * The absence step of the sync job (every minute), per portal:
 * 1. what absences there are: those entered in the app (operators' settings) and the portal's
 *    (im `absent` of the people the app distributes to: from when it first saw it, until its end)
 *    — each a row in the store (113_absences.sql);
 * 2. an absence that starts: its handover (when turned on): the person's unanswered dialogs and
 *    untouched leads and deals go to the deputy or back to distribution, by the rule of each
 *    line or route; answered dialogs stay;
 * 3. an absence that ends: they are back. Nothing is handed back and nothing floods them: the
 *    queues take them in again by their own rules (engine/returns.ts for least-loaded).
 * Each row moves on by compare-and-set, after its work: a run that dies half way is finished by
 * the next, and its work finds nothing left to do twice (moved items are no longer the person's).
 */
export async function absenceStep(d: AbsenceStepDeps, j: JobContext): Promise<JobResult> {
  const { memberId, client, now } = j;
  const out = { started: 0, ended: 0, dialogs: 0, leads: 0, deals: 0 };
  if (j.dryRun) return out;
  await observe(d, memberId, client, now);
  const handover = await d.settings.handover(memberId);
  for (const row of await d.repo.list(memberId, { states: ['upcoming', 'active'] })) {
    if (j.signal?.aborted) break;
    if (row.endsAt <= now) {
      const from = row.state;
      if (await d.repo.advance(row.id, from, { state: 'ended', returnedAt: now }, now)) out.ended++;
      continue;
    }
    if (row.state !== 'upcoming' || row.startsAt > now) continue;
    const handed = handover.enabled ? await handOver(d, row, client, handover) : {};
    if (await d.repo.advance(row.id, 'upcoming', { state: 'active', handedOverAt: now, handed }, now)) {
      out.started++;
      out.dialogs += handed.dialogs ?? 0;
      out.leads += handed.leads ?? 0;
      out.deals += handed.deals ?? 0;
    }
  }
  return out;
}

/** The absences as the app's settings and the portal say them now, written to the store. */
async function observe(
  d: AbsenceStepDeps,
  memberId: string,
  client: PortalClient,
  now: number,
): Promise<void> {
  const stored = await d.settings.operators(memberId, { observed: false });
  const open = await d.repo.list(memberId, { states: ['upcoming', 'active'] });
  const entered = new Set<string>();
  for (const [key, s] of Object.entries(stored)) {
    const userId = Number(key);
    for (const a of s.absences) {
      if (a.to <= now) continue;
      entered.add(`${userId}:${a.from}`);
      await d.repo.upsert(
        memberId,
        { userId, source: 'app', startsAt: a.from, endsAt: a.to, deputyId: a.deputyId ?? s.deputyId ?? null },
        now,
      );
    }
  }
  // An absence taken out of the settings: cancelled before it starts, over now if it runs.
  for (const row of open) {
    if (row.source !== 'app' || entered.has(`${row.userId}:${row.startsAt}`)) continue;
    if (row.state === 'upcoming') await d.repo.advance(row.id, 'upcoming', { state: 'cancelled' }, now);
    else await d.repo.advance(row.id, 'active', { state: 'active', endsAt: now }, now);
  }
  // The portal's: the people the app distributes to, and those it saw away.
  const ids = new Set<number>();
  for (const line of (await d.parts.dialogs()?.lines(memberId)) ?? [])
    for (const id of line.queue) ids.add(id);
  for (const c of d.parts.crm()) {
    const s = await c.kind.settings(d.settings, memberId);
    if (s.enabled) for (const q of c.kind.allQueues(s)) for (const m of q.rules.queue) ids.add(m.id);
  }
  const portalRows = open.filter((r) => r.source === 'portal');
  for (const r of portalRows) ids.add(r.userId);
  if (ids.size === 0) return;
  const infos = await d.directory.get(memberId, client, ids);
  for (const [id, info] of infos) {
    const running = portalRows.find((r) => r.userId === id);
    const away = info.absentUntil !== null && now < info.absentUntil;
    if (away) {
      const deputyId = stored[String(id)]?.deputyId ?? null;
      await d.repo.upsert(
        memberId,
        {
          userId: id,
          source: 'portal',
          startsAt: running?.startsAt ?? now,
          endsAt: info.absentUntil!,
          deputyId,
        },
        now,
      );
    } else if (running && running.endsAt > now && running.state === 'active') {
      // Back before the end the portal said: over now.
      await d.repo.advance(running.id, 'active', { state: 'active', endsAt: now }, now);
    } else if (running?.state === 'upcoming') {
      await d.repo.advance(running.id, 'upcoming', { state: 'cancelled' }, now);
    }
  }
}

/** The start of one absence: dialogs, then leads and deals, each by its line's or route's rule. */
async function handOver(
  d: AbsenceStepDeps,
  row: AbsenceRow,
  client: PortalClient,
  handover: Awaited<ReturnType<SettingsService['handover']>>,
): Promise<Record<string, number>> {
  const cover: Cover = { absentId: row.userId, until: row.endsAt };
  const out: Record<string, number> = { dialogs: 0, leads: 0, deals: 0 };
  const lines = d.parts.dialogs();
  if (lines) {
    const r = await lines.handOverDialogs(row.memberId, client, row.userId, { deputy: row.deputyId, cover });
    out.dialogs = r.toDeputy + r.redistributed + r.waiting;
  }
  for (const c of d.parts.crm()) {
    const s = await c.kind.settings(d.settings, row.memberId);
    if (!s.enabled) continue;
    for (const item of await untouchedItems(client, c.kind, row.userId)) {
      const queue = c.kind.queueFor(s, item);
      const where = c.kind.name === 'lead' ? { leads: queue.route } : { deals: queue.route };
      const to = handoverRule(handover, where) === 'deputy' ? row.deputyId : null;
      const outcome = await c.handOver(row.memberId, item, client, { to, cover });
      if (outcome === 'assigned' || outcome === 'waiting') out[`${c.kind.name}s`]++;
    }
  }
  return out;
}
