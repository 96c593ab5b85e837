import type { JobContext, JobResult, PortalJob } from '../jobs/types.ts';
import type { DialogRow } from '../db/repositories/dialogs.ts';
import type { Decision, Dispatcher } from '../engine/index.ts';
import type { Call } from '../portal/client.ts';
import { type FirstMessageDeps, FirstMessageRun } from './first-message.ts';
import { firstMessageDeadline } from './lines.ts';
import { answeredPatch, parseHistory } from './portal-adapter.ts';
import type { LineIndex } from './queue-index.ts';
import type { OpenLinesService } from './service.ts';
import { dryRunCopy } from './waiting-queue.ts';

/**
 * The `pass-on` job (every 15 s): a dialog its operator has not answered within the line's
 * timeout (QUEUE_TIME) goes to the next eligible operator with imopenlines.operator.transfer.
 * An answer is a staff message in imopenlines.session.history.get since the assignment; the
 * histories of every due dialog are read in one batch. A line with its first-message deadline
 * switched on (settings `firstMessage`) makes such a miss a breach with notices and escalation
 * (first-message.ts). On the same run the lead part checks its first-touch deadlines
 * (crm/first-touch/check.ts), when leads are loaded.
 */
export class PassOnJob implements PortalJob {
  readonly name = 'pass-on' as const;

  constructor(
    private readonly svc: OpenLinesService,
    /** the lead part's first-touch check (crm/first-touch), when leads are loaded: it runs on this job's schedule */
    private readonly leads: () => { firstTouch(j: JobContext): Promise<JobResult> } | undefined = () =>
      undefined,
    /** the chats' first-message breaches (first-message.ts): the repository and the portal's language */
    private readonly chats?: Omit<FirstMessageDeps, 'svc'>,
  ) {}

  async runForPortal(j: JobContext): Promise<JobResult> {
    const dialogs = await this.dialogs(j);
    const leads = this.leads();
    return leads ? { ...dialogs, ...(await leads.firstTouch(j)) } : dialogs;
  }

  private async dialogs(j: JobContext): Promise<JobResult> {
    const run = this.chats ? new FirstMessageRun({ ...this.chats, svc: this.svc }, j) : null;
    const r = await this.passOn(j, run);
    if (!run) return r;
    if (!j.dryRun) await run.finish();
    return { ...r, ...run.result() };
  }

  private async passOn(j: JobContext, run: FirstMessageRun | null): Promise<JobResult> {
    const { memberId, client, now, dryRun } = j;
    const d = this.svc.d;
    const r = { due: 0, answered: 0, passedOn: 0, stayed: 0 };
    const due = await d.dialogs.dueForPassOn(memberId, now);
    if (due.length === 0) return r;
    r.due = due.length;
    const calls: Record<string, Call> = {};
    for (const row of due)
      calls[`h${row.id}`] = ['imopenlines.session.history.get', { SESSION_ID: row.sessionId }];
    const res = await client.batch(calls);
    await run?.prepare(due);
    const done: Promise<void>[] = [];
    // A dry run decides on copies, committing to them, so it counts what the real run does.
    const copies = new Map<number, Dispatcher>();
    for (const row of due) {
      const raw = res.results[`h${row.id}`];
      if (!raw || !row.operatorId) continue;
      const h = parseHistory(raw, row.assignedAt);
      if (h.answeredSince) {
        r.answered++;
        if (!dryRun) {
          await d.dialogs.update(row, answeredPatch(row, h), now);
          await d.indexes.refreshLoads(memberId, row.lineId);
        }
        continue;
      }
      const idx = await d.indexes.get(memberId, row.lineId, client);
      if (!idx || idx.rules.mode === 'all' || idx.rules.passOnAfterSec === null) {
        if (!dryRun) await d.dialogs.update(row, { passOnAt: null }, now);
        continue;
      }
      const decide = () => this.decide(j, idx, row, copies);
      const settings = idx.settings;
      if (run && settings.firstMessage.enabled) {
        const b = await run.breach(row, idx, raw, settings, decide);
        if (b.passedOn) r.passedOn++;
        else r.stayed++;
        if (b.done) done.push(b.done);
        continue;
      }
      const decision = await decide();
      if (decision.action !== 'assign') {
        r.stayed++;
        if (!dryRun)
          await d.dialogs.update(row, { passOnAt: firstMessageDeadline(now, idx.rules, settings) }, now);
        continue;
      }
      r.passedOn++;
      if (dryRun) continue;
      const out = await this.svc.placement.record(memberId, idx, row, decision, now, {
        logAction: 'pass_on',
      });
      if (out.done) done.push(out.done);
    }
    await Promise.all(done);
    return r;
  }

  /** The pass-on decision: in the queue's turn, or (dry run) on a copy of the line's queue. */
  private async decide(
    j: JobContext,
    idx: LineIndex,
    row: DialogRow,
    copies: Map<number, Dispatcher>,
  ): Promise<Decision> {
    const item = await this.svc.placement.itemFor(j.memberId, idx, row, j.client);
    const request = { item, holderId: row.operatorId!, round: row.round };
    if (j.dryRun) {
      const copy = copies.get(row.lineId) ?? dryRunCopy(idx.dispatcher, j.now);
      copies.set(row.lineId, copy);
      const decision = copy.passOn(request, j.now);
      copy.commit(decision);
      return decision;
    }
    // In the queue's turn: on the order every process shares (queue-turn.ts).
    return this.svc.d.indexes.decide(
      idx,
      (dispatcher, turn) => {
        const x = dispatcher.passOn(request, j.now);
        turn.commit(x);
        return x;
      },
      [item],
    );
  }
}
