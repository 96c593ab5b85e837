import type { LogAction } from '../db/repositories/assignment-log.ts';
import type { LeadRow } from '../db/repositories/leads.ts';
import type { LeadFacts } from './lead-read.ts';
import { kindOf, type LeadServiceDeps } from './lead-types.ts';

/**
 * The assignment log's lead entries. A lead's outcome is recorded in the register first and
 * logged after; `logged` on the row makes the log entry happen once even when a re-run
 * finishes a lead a crash interrupted.
 */
export class LeadLog {
  constructor(private readonly d: LeadServiceDeps) {}

  /**
   * Logs a finished assignment once, with the latency from the event's arrival. A lead passed
   * on after a missed first-touch deadline (reason pass_on) is logged as such, without a latency.
   */
  async logDone(row: LeadRow): Promise<void> {
    if (row.logged) return;
    if (row.reason?.rule === 'pass_on') return this.log(row, 'pass_on', null, row.reason);
    const latency = row.receivedAt !== null ? Math.max(0, this.d.clock() - row.receivedAt) : null;
    await this.log(row, 'assign', latency, row.reason);
  }

  /** Records a lead the app leaves where it is (skipped) or holds (waiting), and logs it. */
  async recordAndLog(
    memberId: string,
    lead: LeadFacts,
    receivedAt: number,
    phase: 'skipped' | 'waiting',
    queueId: string | null,
    reason: unknown,
    action: LogAction,
  ): Promise<void> {
    const now = this.d.clock();
    const recorded = await this.d.leads.recordOutcome({
      memberId,
      leadId: lead.id,
      phase,
      queueId,
      statusId: lead.statusId || null,
      holderId: lead.assignedById || null,
      previousId: lead.assignedById || null,
      operatorId: null,
      reason,
      comment: null,
      receivedAt,
      at: now,
    });
    if (!recorded) return;
    const row = await this.d.leads.get(memberId, lead.id);
    if (row) await this.log(row, action, null, reason);
  }

  /** One log entry for the row, then the row marked as logged. */
  async log(row: LeadRow, action: LogAction, latencyMs: number | null, reason: unknown): Promise<void> {
    await this.d.assignmentLog.add({
      memberId: row.memberId,
      kind: kindOf(this.d).name,
      objectId: String(row.leadId),
      queueId: row.queueId,
      action,
      operatorId: action === 'assign' || action === 'pass_on' ? row.operatorId : row.holderId,
      previousOperatorId: row.previousId,
      reason,
      latencyMs,
      at: this.d.clock(),
    });
    await this.d.leads.markLogged(row.memberId, row.leadId);
  }
}
