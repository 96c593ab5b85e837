import type { Queryable } from '../store.ts';

/**
 * A placed lead decided again (a missed first-touch deadline passes it on): the register row
 * goes back to 'decided' with the new operator, so the lead writer carries it out exactly once
 * (read back after a crash) like any decision. The caller has just read the lead's holder on
 * the portal (the register's may lag an event); true also when this very decision is already
 * recorded (a re-run).
 */
export async function redecideLead(
  q: Queryable,
  o: {
    memberId: string;
    leadId: number;
    fromId: number;
    toId: number;
    reason: unknown;
    comment: string;
    at: number;
  },
): Promise<boolean> {
  const r = await q.run(
    `UPDATE leads SET phase = 'decided', previous_id = ?, operator_id = ?, holder_id = ?, reason = ?, comment = ?,
       update_done = 0, comment_id = NULL, logged = 0, echo_until = 0, written_at = NULL, decided_at = ?,
       updated_at = ?
     WHERE member_id = ? AND lead_id = ? AND phase NOT IN ('decided', 'gone')`,
    [o.fromId, o.toId, o.toId, JSON.stringify(o.reason ?? null), o.comment, o.at, o.at, o.memberId, o.leadId],
  );
  if (r.changes > 0) return true;
  const row = await q.get<{ phase: string; operator_id: number | null; previous_id: number | null }>(
    'SELECT phase, operator_id, previous_id FROM leads WHERE member_id = ? AND lead_id = ?',
    [o.memberId, o.leadId],
  );
  return row?.phase === 'decided' && row.operator_id === o.toId && row.previous_id === o.fromId;
}
