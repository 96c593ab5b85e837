import type { Cover } from '../absence/cover.ts';
import { availabilityOf, type Reason } from '../engine/index.ts';
import type { PortalClient } from '../portal/client.ts';
import { handoverRule } from '../settings/absences.ts';
import { queueId } from './queue-index.ts';
import type { ChatMover } from '../owner/hooks.ts';
import type { Placement } from './placement.ts';
import type { OpenLinesDeps } from './service-deps.ts';

export interface DialogHandover {
  toDeputy: number;
  redistributed: number;
  waiting: number;
  /** answered dialogs stay, as the seed says */
  stayed: number;
}

/**
 * An absence starts: the absent person's open dialogs that nobody answered yet go to their
 * deputy (the line's rule `deputy`, the deputy available) or back to distribution (the rule
 * `distribution`, no deputy, or a deputy away too); answered ones stay with them. Each move is
 * recorded before it is sent, like every move (placement.ts), and logged as a handover with
 * whom the new operator covers.
 */
export async function handOverDialogs(
  svc: { d: OpenLinesDeps; placement: Placement; moveChat: ChatMover['moveChat'] },
  memberId: string,
  client: PortalClient,
  userId: number,
  o: { deputy: number | null; cover: Cover },
): Promise<DialogHandover> {
  const d = svc.d;
  const out: DialogHandover = { toDeputy: 0, redistributed: 0, waiting: 0, stayed: 0 };
  const rows = (await d.dialogs.open(memberId, ['assigned'])).filter(
    (r) => r.holder === 'operator' && r.operatorId === userId,
  );
  if (rows.length === 0) return out;
  const handover = await d.settings.handover(memberId);
  for (const row of rows) {
    if (row.answered) {
      out.stayed++;
      continue;
    }
    const idx = await d.indexes.get(memberId, row.lineId, client);
    if (!idx) continue;
    const now = d.clock();
    if (o.deputy !== null && handoverRule(handover, { line: row.lineId }) === 'deputy') {
      await d.indexes.ensureOperators(idx, client, [o.deputy]);
      const st = idx.dispatcher.stateOf(o.deputy);
      const strict = { ...idx.rules, availability: { ...idx.rules.availability, check: true } };
      if (st && availabilityOf(st, strict, now) === null) {
        const reason: Reason = {
          rule: 'handover',
          operatorId: o.deputy,
          skipped: { at_capacity: [], unavailable: [] },
          cover: o.cover,
        };
        const r = await svc.moveChat(memberId, row.chatId, o.deputy, { logAction: 'handover', reason });
        if (r === 'recorded') {
          out.toDeputy++;
          // Not capped (the settings' choice), but counted toward the deputy's quota here.
          await d.indexes.count(idx, row.sessionId, o.deputy, d.clock());
        }
        continue;
      }
    }
    const item = await svc.placement.itemFor(memberId, idx, row, client);
    // In the queue's turn, on the order every process shares (queue-turn.ts).
    const decision = await d.indexes.decide(
      idx,
      (dispatcher, turn) => {
        const x = dispatcher.decide(item, now);
        if (!(x.action === 'assign' && x.operatorId === userId)) turn.commit(x);
        return x;
      },
      [item],
    );
    if (decision.action === 'assign' && decision.operatorId === userId) {
      // The line does not check availability: its queue would give it straight back.
      out.stayed++;
      continue;
    }
    const reason: Reason = { ...decision.reason, cover: o.cover };
    if (decision.action === 'assign' || decision.action === 'portal_queue') {
      const r = await svc.placement.record(memberId, idx, row, { ...decision, reason }, now, {
        logAction: 'handover',
      });
      if (r.action !== 'conflict') out.redistributed++;
      continue;
    }
    const upd = await d.dialogs.update(row, { state: 'waiting', pending: null, passOnAt: null }, now);
    if (!upd) continue;
    out.waiting++;
    await d.assignmentLog.add({
      memberId,
      kind: 'dialog',
      objectId: String(row.chatId),
      queueId: queueId(row.lineId),
      action: 'handover',
      operatorId: null,
      previousOperatorId: userId,
      reason,
      at: now,
    });
    await d.indexes.refreshLoads(memberId, row.lineId);
  }
  return out;
}
