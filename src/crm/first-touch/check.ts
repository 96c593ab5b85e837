import type {
  BreachRecord,
  BreachRow,
  FirstTouchRepository,
  Notice,
  WatchRow,
} from '../../db/repositories/first-touch.ts';
import { breachStep, deadlineAt } from '../../engine/index.ts';
import type { JobContext, JobResult } from '../../jobs/types.ts';
import type { Logger } from '../../log/logger.ts';
import type { Call } from '../../portal/client.ts';
import type { LeadSettings } from '../../settings/schema.ts';
import type { FirstTouchSettings } from '../../settings/speed.ts';
import { decisionRef, leadComment, portalLang, withRef } from '../comment.ts';
import type { LeadService } from '../lead-service.ts';
import { DEFAULT_QUEUE } from '../policy.ts';
import { judge } from './judge.ts';
import { GROUP, parseTouchRead, type TouchFacts, touchReadCommands } from './read.ts';
import { nextHolder, type ReassignDeps } from './reassign.ts';
import { type BreachFacts, breachWords, noticeText } from './texts.ts';
import { completeBreaches } from './writes.ts';

/** Leads the app placed this long ago or less are taken under watch when they have none. */
export const ADOPT_WINDOW_MS = 24 * 3600_000;

export interface FirstTouchDeps extends ReassignDeps {
  repo: FirstTouchRepository;
  service: LeadService;
  /** the portal's language (installation record) */
  language(memberId: string): Promise<string | undefined>;
  clock: () => number;
  log: Logger;
}

/** The lead route's first-touch deadline (or the leads' default), when it is on. */
export function firstTouchFor(s: LeadSettings, queueId: string | null): FirstTouchSettings | null {
  const route =
    queueId && queueId !== DEFAULT_QUEUE ? s.routes.find((r) => `leads:${r.name}` === queueId) : undefined;
  const ft = route?.firstTouch ?? s.firstTouch;
  return ft.enabled ? ft : null;
}

const deadline = (from: number, ft: FirstTouchSettings) => {
  const t = deadlineAt(from, ft.minutes * 60_000, ft.workingHours);
  return Number.isFinite(t) ? t : null;
};

/**
 * The lead half of the `pass-on` job: leads the app placed must get first contact from their
 * holder within the route's working minutes. Due watches are read in one batch (three commands
 * per 50 leads, read.ts); a miss is recorded with its consequences before anything is written
 * (first-touch.ts), then carried out (writes.ts). A dry run reads and reports, and changes
 * nothing.
 */
export async function checkFirstTouch(d: FirstTouchDeps, j: JobContext): Promise<JobResult> {
  const { memberId, client, now, dryRun } = j;
  const settings = await d.settings.leads(memberId);
  if (
    !settings.enabled ||
    ![settings.firstTouch, ...settings.routes.map((r) => r.firstTouch)].some((f) => f?.enabled)
  )
    return {};
  const out = {
    due: 0,
    touched: 0,
    breaches: 0,
    reassigned: 0,
    notified: 0,
    escalated: 0,
    ended: 0,
    undecided: 0,
  };
  const report: Record<string, unknown>[] = [];

  if (!dryRun) {
    const left = await d.repo.unwritten(memberId);
    if (left.length > 0) await completeBreaches(d, memberId, client, left, true);
  }

  const starts: WatchRow[] = [];
  for (const u of await d.repo.unwatched(memberId, now - ADOPT_WINDOW_MS)) {
    const ft = firstTouchFor(settings, u.queueId);
    if (!ft) continue;
    starts.push({
      memberId,
      kind: 'lead',
      objectId: String(u.leadId),
      queueId: u.queueId,
      holderId: u.operatorId,
      holders: [u.operatorId],
      statusId: u.statusId,
      arrivedAt: u.receivedAt ?? u.decidedAt,
      assignedAt: u.decidedAt,
      deadlineAt: deadline(u.decidedAt, ft),
      breaches: 0,
      state: 'watching',
      touchedAt: null,
      touchedBy: null,
      touch: null,
    });
  }
  if (!dryRun) await d.repo.start(starts, now);
  const due = await d.repo.due(memberId, now);
  if (dryRun) due.push(...starts.filter((w) => w.deadlineAt !== null && w.deadlineAt <= now));
  out.due = due.length;
  if (due.length === 0) return prefixed(out, report);

  // One batch for every due lead: three commands per group of 50.
  const calls: Record<string, Call> = {};
  const groups: WatchRow[][] = [];
  for (let i = 0; i < due.length; i += GROUP) groups.push(due.slice(i, i + GROUP));
  for (const [i, g] of groups.entries()) Object.assign(calls, touchReadCommands(g, `g${i}`));
  const read = await client.batch(calls);

  const breaches: { w: WatchRow; f: TouchFacts; ft: FirstTouchSettings }[] = [];
  for (const [i, g] of groups.entries()) {
    const { facts, failed } = parseTouchRead(g, read, `g${i}`);
    if (failed) {
      j.log.warn({ memberId, error: failed }, 'first-touch read failed for a group; checked next run');
      out.undecided += g.length;
      continue;
    }
    for (const w of g) {
      const ft = firstTouchFor(settings, w.queueId);
      const f = facts.get(Number(w.objectId));
      const v = ft
        ? judge(w, f, { now, openStatuses: settings.openStatuses, stageChangeCounts: ft.stageChangeCounts })
        : null;
      if (!v || v.kind === 'gone' || v.kind === 'closed') {
        out.ended++;
        if (!dryRun) await d.repo.end(w, now);
      } else if (v.kind === 'moved') {
        if (!dryRun)
          await d.repo.follow(
            w,
            { holderId: v.holderId, statusId: f?.statusId ?? null, deadlineAt: deadline(now, ft!) },
            now,
          );
      } else if (v.kind === 'touched') {
        out.touched++;
        if (!dryRun) await d.repo.touched(w, { at: v.at, by: w.holderId, touch: v.touch }, now);
      } else if (v.kind === 'unknown') {
        out.undecided++;
      } else {
        breaches.push({ w, f: f!, ft: ft! });
      }
    }
  }

  const lang = portalLang(await d.language(memberId));
  const recorded: BreachRow[] = [];
  for (const { w, f, ft } of breaches) {
    if (j.signal?.aborted) break;
    const plan = await planBreach(d, j, settings, w, f, ft, lang);
    out.breaches++;
    if (plan.record.action === 'reassign') out.reassigned++;
    else out.notified++;
    if (plan.record.supervisorId !== null) out.escalated++;
    report.push(plan.summary);
    if (dryRun) continue;
    if (!(await d.repo.recordBreach(plan.record))) continue;
    if (plan.stamp)
      await d.queueState.recordAssignment(
        memberId,
        plan.stamp.queueId,
        plan.record.newHolderId!,
        plan.stamp.at,
        plan.stamp.credits,
      );
    recorded.push({ ...plan.record, written: false });
  }
  if (recorded.length > 0) await completeBreaches(d, memberId, client, recorded, false);
  return prefixed(out, report);
}

function prefixed(out: Record<string, number>, report: Record<string, unknown>[]): JobResult {
  const r: JobResult = {};
  for (const [k, v] of Object.entries(out)) r[`firstTouch_${k}`] = v;
  if (report.length > 0) r.firstTouch_list = report.slice(0, 100);
  return r;
}

/** A breach's record: what happens to the lead, who is told what, and the log's words. */
async function planBreach(
  d: FirstTouchDeps,
  j: JobContext,
  settings: LeadSettings,
  w: WatchRow,
  f: TouchFacts,
  ft: FirstTouchSettings,
  lang: 'ru' | 'en',
) {
  const { memberId, client, now } = j;
  const breachNo = w.breaches + 1;
  const step = breachStep(breachNo, ft);
  const next = step.action === 'reassign' ? await nextHolder(d, memberId, client, settings, w, now) : null;
  const assigned = next?.decision.action === 'assign' ? next.decision : null;
  const newHolderId = assigned?.operatorId ?? null;
  const supervisorId = step.escalate ? ft.supervisorId : null;
  const names = next?.infos ?? new Map();
  const wanted = [w.holderId, newHolderId, supervisorId].filter(
    (x): x is number => x !== null && !names.has(x),
  );
  if (wanted.length > 0)
    for (const [id, info] of await d.operators.get(memberId, client, wanted)) names.set(id, info);
  const nameOf = (id: number) => names.get(id)?.name || `#${id}`;
  const facts: BreachFacts = {
    leadId: Number(w.objectId),
    client: f.client,
    waitedMs: now - w.arrivedAt,
    minutes: ft.minutes,
    breachNo,
    holder: nameOf(w.holderId),
    newHolder: newHolderId === null ? null : nameOf(newHolderId),
  };
  const tag = (userId: number) => `first_touch|${w.objectId}|${breachNo}|${userId}`;
  const notices: Notice[] = [];
  const tell = (userId: number, role: Notice['role']) => {
    if (!notices.some((n) => n.userId === userId))
      notices.push({ userId, role, tag: tag(userId), message: noticeText(role, facts, lang) });
  };
  if (newHolderId !== null) {
    tell(newHolderId, 'new_holder');
    tell(w.holderId, 'previous');
  } else tell(w.holderId, 'holder');
  if (supervisorId !== null) tell(supervisorId, 'supervisor');

  const action = newHolderId !== null ? 'reassign' : 'notify';
  const holder = newHolderId ?? w.holderId;
  const words = breachWords(facts, {
    action,
    nobodyElse: step.action === 'reassign' && newHolderId === null,
    supervisor: supervisorId === null ? null : nameOf(supervisorId),
  });
  const record: BreachRecord = {
    memberId,
    objectId: w.objectId,
    breachNo,
    queueId: w.queueId,
    holderId: w.holderId,
    action,
    newHolderId,
    supervisorId,
    waitedMs: facts.waitedMs,
    dueAt: w.deadlineAt ?? now,
    at: now,
    watch: {
      holderId: holder,
      holders: assigned?.round ?? [...new Set([...w.holders, holder])],
      assignedAt: newHolderId !== null ? now : w.assignedAt,
      deadlineAt: deadline(now, ft),
      state: step.final ? 'escalated' : 'watching',
    },
    notices,
    log: {
      memberId,
      kind: 'lead',
      objectId: w.objectId,
      queueId: w.queueId,
      action: 'breach',
      operatorId: holder,
      previousOperatorId: w.holderId,
      reason: {
        rule: 'first_touch_breach',
        breachNo,
        action,
        minutes: ft.minutes,
        waitedMs: facts.waitedMs,
        newHolderId,
        supervisorId,
        ...words,
      },
      at: now,
    },
    ...(assigned && next
      ? {
          lead: {
            reason: assigned.reason,
            comment: withRef(
              leadComment(lang, next.queue.route, assigned.reason, nameOf),
              lang,
              decisionRef(memberId, Number(w.objectId), now),
            ),
          },
        }
      : {}),
  };
  const summary = {
    leadId: Number(w.objectId),
    breach: breachNo,
    holderId: w.holderId,
    action,
    ...(newHolderId !== null ? { to: newHolderId } : {}),
    ...(supervisorId !== null ? { escalatedTo: supervisorId } : {}),
    waitedMin: Math.round(facts.waitedMs / 60_000),
  };
  const stamp =
    assigned && next ? { queueId: next.queue.id, at: assigned.stamp, credits: assigned.credits } : null;
  return { record, summary, stamp };
}
