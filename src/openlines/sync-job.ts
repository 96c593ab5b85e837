import type { DialogRow } from '../db/repositories/dialogs.ts';
import { availabilityOf, onOperatorUnavailable, type Reason } from '../engine/index.ts';
import type { JobContext, JobResult, PortalJob } from '../jobs/types.ts';
import { toOperatorState } from '../operators/index.ts';
import type { Call } from '../portal/client.ts';
import { type DialogFacts, parseDialog, parseHistory } from './portal-adapter.ts';
import { queueId } from './queue-index.ts';
import type { OpenLinesService } from './service.ts';

/** A dialog the portal's queue holds unowned is followed this long before the register lets it go. */
const PORTAL_FOLLOW_MS = 24 * 3600_000;

/**
 * The `sync` job, per portal: lines (settings, queue, bot attached, new lines), operators'
 * availability for every queue member at once, open dialogs' state (who holds them, whether the
 * session is over, who wrote last), the portal's rules for dialogs of operators who became
 * unavailable, unfinished transfers, and finally the waiting queue. Reads go in batches of up
 * to 50 commands; history is read only for dialogs with new messages.
 */
export class SyncJob implements PortalJob {
  readonly name = 'sync' as const;

  constructor(private readonly svc: OpenLinesService) {}

  async runForPortal(j: JobContext): Promise<JobResult> {
    const { memberId, client, now, dryRun } = j;
    const d = this.svc.d;
    let botId = await this.svc.botId(memberId);
    if (botId === null && !dryRun) botId = await this.svc.ensureBot(memberId, client);
    const lines = await d.lines.sync(memberId, client, botId, dryRun);
    for (const id of lines.changed) d.indexes.invalidate(memberId, id);

    const r: Record<string, number> = {
      lines: lines.lines,
      attached: lines.attached,
      dialogs: 0,
      closed: 0,
      movedByPortal: 0,
      answered: 0,
      returned: 0,
      returnedToWait: 0,
      stayed: 0,
      recovered: 0,
    };

    // Open dialogs as the portal sees them.
    const open = await d.dialogs.open(memberId, ['waiting', 'assigned', 'portal']);
    r.dialogs = open.length;
    const facts = await this.readDialogs(client, open);
    const needHistory: DialogRow[] = [];
    const live: DialogRow[] = [];
    for (const row of open) {
      const f = facts.get(row.chatId);
      if (f === undefined) {
        live.push(row);
        continue;
      }
      const outcome = this.compare(row, f, botId, now);
      if (outcome === 'closed') {
        r.closed++;
        if (!dryRun) await this.svc.close(row, now);
        continue;
      }
      if (outcome === 'moved') {
        r.movedByPortal++;
        if (!dryRun) await this.movedByPortal(memberId, row, f as DialogFacts, now);
        continue;
      }
      if (
        (row.state === 'assigned' || row.state === 'portal') &&
        (f as DialogFacts).lastMessageId > row.lastMessageId
      )
        needHistory.push(row);
      live.push(row);
    }
    const refreshed = await this.readHistory(client, needHistory);
    for (const row of needHistory) {
      const h = refreshed.get(row.id);
      if (!h) continue;
      const answered = row.answered || h.answeredSince;
      if (answered && !row.answered) r.answered++;
      if (dryRun) continue;
      const upd = await d.dialogs.update(
        row,
        {
          answered,
          lastFrom: h.lastFrom ?? row.lastFrom,
          lastMessageId: Math.max(row.lastMessageId, h.lastMessageId),
          ...(answered && !row.answered ? { round: [] } : {}),
        },
        now,
      );
      if (upd) live[live.indexOf(row)] = upd;
    }

    // Operators: everyone in a queue and everyone holding a dialog, read fresh in one go.
    const allLines = await d.lines.all(memberId);
    const ids = new Set<number>(allLines.flatMap((l) => l.queue));
    for (const row of live) if (row.operatorId) ids.add(row.operatorId);
    const infos = ids.size > 0 ? await d.directory.get(memberId, client, ids, { fresh: true }) : new Map();
    r.operators = infos.size;
    d.indexes.invalidate(memberId);

    // The portal's rules for dialogs whose operator is no longer available.
    const opSettings = await d.settings.operators(memberId);
    for (const row of live) {
      if (row.state !== 'assigned' || !row.operatorId) continue;
      const idx = await d.indexes.get(memberId, row.lineId, client);
      if (!idx) continue;
      const st = toOperatorState(infos.get(row.operatorId), { settings: opSettings[String(row.operatorId)] });
      if (!st) continue;
      const why = availabilityOf(st, idx.rules, now);
      if (why === null || why === 'excluded' || why === 'unknown') continue;
      const outcome = onOperatorUnavailable(
        {
          id: row.id,
          operatorId: row.operatorId,
          accepted: row.answered,
          operatorAnswered: row.answered,
          lastMessageFrom: row.lastFrom,
        },
        why,
      );
      if (outcome.action === 'stay') {
        r.stayed++;
        continue;
      }
      if (dryRun) {
        r.returned++;
        continue;
      }
      const item = await this.svc.itemFor(memberId, idx, row, client);
      const decision = idx.dispatcher.decide(item, now);
      const reason: Reason = { ...decision.reason, dialog: outcome.reason.dialog };
      if (decision.action === 'assign' || decision.action === 'portal_queue') {
        const res = await this.svc.record(memberId, idx, row, { ...decision, reason }, now, {
          logAction: 'return',
        });
        if (res.action !== 'conflict') r.returned++;
        await res.done;
        continue;
      }
      const upd = await d.dialogs.update(row, { state: 'waiting', pending: null, passOnAt: null }, now);
      if (!upd) continue;
      r.returnedToWait++;
      await d.assignmentLog.add({
        memberId,
        kind: 'dialog',
        objectId: String(row.chatId),
        queueId: queueId(row.lineId),
        action: 'return',
        operatorId: null,
        previousOperatorId: row.operatorId,
        reason,
        at: now,
      });
      await d.indexes.refreshLoads(memberId, row.lineId);
    }

    if (!dryRun) r.recovered = await this.svc.recover(memberId);
    const drained = await this.svc.drain(memberId, client, now, { awaitTransfers: true, dryRun });
    return { ...r, assigned: drained.assigned, handedToPortal: drained.portal, waiting: drained.waiting };
  }

  /** What the portal's view means for the register row. */
  private compare(row: DialogRow, f: DialogFacts | null, botId: number | null, now: number) {
    if (f === null) return 'closed' as const;
    if (f.sessionId !== null && f.sessionId !== row.sessionId) return 'closed' as const;
    if (f.ownerId === 0) {
      if (row.state === 'portal' && now - row.updatedAt < PORTAL_FOLLOW_MS) return 'same' as const;
      return 'closed' as const;
    }
    if (row.state === 'waiting') {
      const expected = row.holder === 'bot' ? botId : row.operatorId;
      return f.ownerId === expected ? ('same' as const) : ('moved' as const);
    }
    if (f.ownerId === botId) return 'same' as const;
    return f.ownerId === row.operatorId ? ('same' as const) : ('moved' as const);
  }

  /**
   * Someone other than the app moved the dialog: the portal's queue after WELCOME_BOT_TIME (the
   * safety net), or a person. The register follows; the portal's own assignment is logged.
   */
  private async movedByPortal(memberId: string, row: DialogRow, f: DialogFacts, now: number) {
    const d = this.svc.d;
    const upd = await d.dialogs.update(
      row,
      {
        state: 'portal',
        holder: 'operator',
        operatorId: f.ownerId,
        answered: false,
        passOnAt: null,
        pending: null,
      },
      now,
    );
    if (!upd) return;
    if (row.state === 'waiting') {
      await d.assignmentLog.add({
        memberId,
        kind: 'dialog',
        objectId: String(row.chatId),
        queueId: queueId(row.lineId),
        action: 'portal_queue',
        operatorId: f.ownerId,
        previousOperatorId: row.holder === 'operator' ? row.operatorId : null,
        reason: {
          rule: 'portal_queue',
          skipped: { at_capacity: [], unavailable: [] },
          detail: 'taken_by_portal',
        },
        at: now,
      });
    }
    await d.indexes.refreshLoads(memberId, row.lineId);
    if (row.state !== 'waiting') this.svc.kickDrain(memberId, row.lineId);
  }

  /** imopenlines.dialog.get for every chat (≤ 50 per request); null = the chat is gone; absent = unreadable now. */
  private async readDialogs(client: JobContext['client'], rows: DialogRow[]) {
    const out = new Map<number, DialogFacts | null>();
    const chats = [...new Set(rows.map((r) => r.chatId))];
    if (chats.length === 0) return out;
    const calls: Record<string, Call> = {};
    for (const c of chats) calls[`d${c}`] = ['imopenlines.dialog.get', { CHAT_ID: c }];
    const res = await client.batch(calls);
    for (const c of chats) {
      const e = res.errors[`d${c}`];
      if (e) {
        // ASSUMPTION: the app's admin token reads every dialog, so an access error means the chat is gone.
        if (/ACCESS_ERROR|NOT_FOUND/i.test(e.error)) out.set(c, null);
        continue;
      }
      const f = parseDialog(res.results[`d${c}`]);
      if (f) out.set(c, f);
    }
    return out;
  }

  private async readHistory(client: JobContext['client'], rows: DialogRow[]) {
    const out = new Map<number, ReturnType<typeof parseHistory>>();
    if (rows.length === 0) return out;
    const calls: Record<string, Call> = {};
    for (const r of rows)
      calls[`h${r.id}`] = ['imopenlines.session.history.get', { SESSION_ID: r.sessionId }];
    const res = await client.batch(calls);
    for (const r of rows) {
      const h = res.results[`h${r.id}`];
      if (h) out.set(r.id, parseHistory(h, r.assignedAt));
    }
    return out;
  }
}
