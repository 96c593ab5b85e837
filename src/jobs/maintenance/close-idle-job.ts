import type { DialogRow } from '../../db/repositories/dialogs.ts';
import type {
  CloseIntent,
  IdleFacts,
  IdleRule,
  MaintenanceRepository,
} from '../../db/repositories/maintenance.ts';
import { type DialogFacts, parseDialog } from '../../openlines/portal-adapter.ts';
import { queueId } from '../../openlines/queue-index.ts';
import type { OpenLinesService } from '../../openlines/service.ts';
import type { WriteOutcome } from '../../openlines/write-queue.ts';
import type { Call } from '../../portal/client.ts';
import type { IdleSettings } from '../../settings/schema.ts';
import type { JobContext, JobResult, PortalJob } from '../types.ts';
import { DAY_MS, type IdleVerdict, idleDueAt, idleVerdict, readIdleHistory } from './idle-rules.ts';
import { CappedList } from './summary-list.ts';

export const ANOTHER_FINISH = 'imopenlines.operator.another.finish';
/** imopenlines.session.history.get commands per batch request. */
const HISTORY_BATCH = 50;

export interface CloseIdleJobOptions {
  openlines: () => OpenLinesService;
  repo: MaintenanceRepository;
  clock: () => number;
  /** histories read per portal and run at most; the rest (least recently due last) wait for the next run */
  maxHistoryReads?: number;
}

/** One dialog of the summary's list. */
export interface CloseEntry {
  chatId: number;
  lineId: number;
  rule: IdleRule;
  /** whole days idle at `now` */
  idleDays: number;
  operatorId: number | null;
  outcome: 'would_close' | 'closed' | 'already_closed' | 'pending' | 'failed';
}

type Outcome = 'closed' | 'already_closed' | 'failed' | 'retry';

/**
 * The `close-idle` job (hourly), per portal: closes with imopenlines.operator.another.finish the
 * dialogs no operator has answered for `noOperatorAnswerDays` (30), and the accepted dialogs
 * where the operator wrote last and the client has been silent for `noClientReplyDays` (7), per
 * line (settings `idle`). Histories are read (imopenlines.session.history.get, 50 per batch
 * request) only for dialogs a rule could hold for by now, judged from the register and what the
 * previous reads found.
 *
 * Crash safety: a close is written down (mnt_close_intents, after a compare-and-set on the
 * register row) before the portal is asked; a run first finishes the closes an earlier run
 * left, and logs each close once (by its decision time). The portal's "no such open dialog" is
 * read back with imopenlines.dialog.get and taken as closed.
 */
export class CloseIdleJob implements PortalJob {
  readonly name = 'close-idle' as const;
  /** closes this process is carrying out: a second run here leaves them alone */
  private readonly inFlight = new Set<number>();

  constructor(private readonly o: CloseIdleJobOptions) {}

  async runForPortal(j: JobContext): Promise<JobResult> {
    const { memberId, client, now, dryRun } = j;
    const svc = this.o.openlines();
    const d = svc.d;
    const r = {
      checked: 0,
      history_read: 0,
      closed_no_answer: 0,
      closed_no_reply: 0,
      already_closed: 0,
      resumed: 0,
      skipped: 0,
      deferred: 0,
      errors: 0,
    };
    const list = new CappedList<CloseEntry>();
    const tally = (i: Pick<CloseIntent, 'rule'>, out: Outcome) => {
      if (out === 'closed') r[i.rule === 'no_operator_answer' ? 'closed_no_answer' : 'closed_no_reply']++;
      else if (out === 'already_closed') r.already_closed++;
      else r.errors++;
    };

    // Closes an earlier run decided and did not see through: finish them, decide nothing new.
    const intents = await this.o.repo.intents(memberId);
    const leftover = intents.filter((i) => !this.inFlight.has(i.dialogId));
    if (leftover.length > 0) {
      r.resumed = leftover.length;
      if (dryRun) {
        for (const i of leftover) {
          const row = await d.dialogs.get(i.dialogId);
          list.push(entryOf(i.chatId, row, i.rule, sinceOf(i), now, 'pending'));
        }
      } else {
        for (const i of leftover) this.inFlight.add(i.dialogId);
        const before = new Map<number, DialogRow | undefined>();
        for (const i of leftover) before.set(i.dialogId, await d.dialogs.get(i.dialogId));
        const outcomes = await this.carryOut(j, svc, leftover);
        for (const i of leftover) {
          const out = outcomes.get(i.dialogId)!;
          tally(i, out);
          const row = before.get(i.dialogId);
          list.push(entryOf(i.chatId, row, i.rule, sinceOf(i), now, listed(out)));
        }
      }
    }
    const held = new Set(intents.map((i) => i.dialogId));

    // Candidates: open dialogs a rule could hold for by now.
    const rows = (await d.dialogs.open(memberId, ['waiting', 'assigned', 'portal'])).filter(
      (row) => !held.has(row.id),
    );
    const settings = new Map<number, IdleSettings>();
    for (const lineId of new Set(rows.map((row) => row.lineId)))
      settings.set(lineId, (await d.settings.line(memberId, lineId)).idle);
    const known = await this.o.repo.facts(memberId);
    const due: { row: DialogRow; at: number }[] = [];
    for (const row of rows) {
      const s = settings.get(row.lineId)!;
      if (!s.enabled) continue;
      r.checked++;
      const at = idleDueAt(row, known.get(row.id), s);
      if (at <= now) due.push({ row, at });
    }
    due.sort((a, b) => a.at - b.at || a.row.id - b.row.id);
    const max = this.o.maxHistoryReads ?? 1000;
    if (due.length > max) r.deferred += due.splice(max).length;

    // Histories, 50 per request; each verdict on what the portal says now.
    const closable: { row: DialogRow; v: IdleVerdict }[] = [];
    for (let i = 0; i < due.length; i += HISTORY_BATCH) {
      if (j.signal?.aborted) {
        r.deferred += due.length - i;
        break;
      }
      const chunk = due.slice(i, i + HISTORY_BATCH).map((x) => x.row);
      const calls: Record<string, Call> = {};
      for (const row of chunk)
        calls[`h${row.id}`] = ['imopenlines.session.history.get', { SESSION_ID: row.sessionId }];
      const res = await client.batch(calls);
      const checkedAt = this.o.clock();
      const facts: IdleFacts[] = [];
      for (const row of chunk) {
        const raw = res.results[`h${row.id}`];
        if (!raw) {
          // A chat the portal no longer shows is sync's to close; nothing to decide here.
          r.errors++;
          j.log.warn({ chatId: row.chatId, error: res.errors[`h${row.id}`]?.error }, 'history unreadable');
          continue;
        }
        r.history_read++;
        const h = readIdleHistory(raw);
        facts.push({
          dialogId: row.id,
          memberId,
          lastMessageId: Math.max(h.lastMessageId, row.lastMessageId),
          operatorWrote: h.operatorWrote,
          lastFrom: h.lastFrom,
          lastAt: h.lastAt,
          checkedAt,
        });
        const v = idleVerdict(row, h, now, settings.get(row.lineId)!);
        if (v) closable.push({ row, v });
      }
      if (!dryRun) await this.o.repo.saveFacts(facts);
    }

    // Decide: the register row is claimed (compare-and-set) and the close written down first.
    const decided: CloseIntent[] = [];
    const rowOf = new Map<number, DialogRow>();
    for (const { row, v } of closable) {
      const reason = closeReason(v, now);
      if (dryRun) {
        r[v.rule === 'no_operator_answer' ? 'closed_no_answer' : 'closed_no_reply']++;
        list.push(entryOf(row.chatId, row, v.rule, v.since, now, 'would_close'));
        continue;
      }
      // Taking it off the pass-on schedule and bumping its version stops a move decided meanwhile.
      const claimed = await d.dialogs.update(row, { passOnAt: null }, now);
      const intent = {
        dialogId: row.id,
        memberId,
        chatId: row.chatId,
        rule: v.rule,
        reason: { ...reason, operatorId: row.operatorId },
        decidedAt: now,
      };
      // Held before it is written down, so a second run in this process cannot take it as left over.
      const free = !!claimed && !this.inFlight.has(row.id);
      if (free) this.inFlight.add(row.id);
      if (!free || !(await this.o.repo.addIntent(intent))) {
        if (free) this.inFlight.delete(row.id);
        r.skipped++;
        continue;
      }
      decided.push({ ...intent, sentAt: null, attempts: 0 });
      rowOf.set(row.id, row);
    }
    const outcomes = await this.carryOut(j, svc, decided);
    for (const i of decided) {
      const out = outcomes.get(i.dialogId)!;
      tally(i, out);
      list.push(entryOf(i.chatId, rowOf.get(i.dialogId), i.rule, sinceOf(i), now, listed(out)));
    }
    if (!dryRun) await this.o.repo.pruneFacts(memberId);
    return { ...r, dialogs: list.items, dialogsOmitted: list.omitted };
  }

  /**
   * Asks the portal to close each dialog (through the open-lines write queue: one batch request
   * per 50), then brings the register and the log in line. The caller holds the intents in
   * `inFlight`; they are released here. Never throws for one dialog.
   */
  private async carryOut(
    j: JobContext,
    svc: OpenLinesService,
    mine: CloseIntent[],
  ): Promise<Map<number, Outcome>> {
    const out = new Map<number, Outcome>();
    try {
      const d = svc.d;
      for (const i of mine) await this.o.repo.markSent(i.dialogId, this.o.clock());
      const answers: WriteOutcome[] = await Promise.all(
        mine.map((i) =>
          d.writes.submit(j.memberId, { method: ANOTHER_FINISH, params: { CHAT_ID: i.chatId } }),
        ),
      );
      const refused = mine.filter((_, k) => !answers[k].ok);
      const rows = new Map<number, DialogRow | undefined>();
      for (const i of mine) rows.set(i.dialogId, await d.dialogs.get(i.dialogId));
      const facts = await this.readDialogs(
        j,
        refused.map((i) => i.chatId),
      );
      for (const [k, i] of mine.entries()) {
        const a = answers[k];
        const row = rows.get(i.dialogId);
        try {
          if (a.ok) {
            await this.closed(j, svc, i, row, true);
            out.set(i.dialogId, 'closed');
            continue;
          }
          const f = facts.get(i.chatId);
          const over =
            f !== undefined &&
            (f.ownerId === 0 || (f.sessionId !== null && row !== undefined && f.sessionId !== row.sessionId));
          if (over) {
            // Asked before (a run that died after the portal closed it): that close was ours.
            const ours = i.sentAt !== null;
            await this.closed(j, svc, i, row, ours);
            out.set(i.dialogId, ours ? 'closed' : 'already_closed');
            continue;
          }
          j.log.warn(
            { chatId: i.chatId, error: a.error, retryable: a.retryable },
            'the portal refused to close',
          );
          if (a.retryable) out.set(i.dialogId, 'retry');
          else {
            await this.o.repo.removeIntent(i.dialogId);
            out.set(i.dialogId, 'failed');
          }
        } catch (err) {
          j.log.error(
            { chatId: i.chatId, err: (err as Error).message },
            'close not recorded; the next run finishes it',
          );
          out.set(i.dialogId, 'retry');
        }
      }
    } finally {
      for (const i of mine) this.inFlight.delete(i.dialogId);
    }
    for (const i of mine) if (!out.has(i.dialogId)) out.set(i.dialogId, 'retry');
    return out;
  }

  /** The portal has it closed: log it (once, when the close was ours) and close the register row. */
  private async closed(
    j: JobContext,
    svc: OpenLinesService,
    i: CloseIntent,
    row: DialogRow | undefined,
    logIt: boolean,
  ): Promise<void> {
    const d = svc.d;
    if (logIt) {
      const seen = await d.assignmentLog.recent(j.memberId, {
        kind: 'dialog',
        objectId: String(i.chatId),
        limit: 20,
      });
      if (!seen.some((e) => e.action === 'close' && e.at === i.decidedAt)) {
        await d.assignmentLog.add({
          memberId: j.memberId,
          kind: 'dialog',
          objectId: String(i.chatId),
          queueId: row ? queueId(row.lineId) : null,
          action: 'close',
          operatorId: null,
          previousOperatorId: row?.holder === 'operator' ? row.operatorId : null,
          reason: i.reason,
          at: i.decidedAt,
        });
      }
    }
    // Whoever moved the row meanwhile, the session is over: close the newest version of it.
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await d.dialogs.get(i.dialogId);
      if (!cur || cur.state === 'closed') break;
      await svc.outcomes.close(cur, j.now);
    }
    await this.o.repo.removeIntent(i.dialogId);
  }

  /** imopenlines.dialog.get for the chats (≤ 50 per request); a chat that could not be read is absent. */
  private async readDialogs(j: JobContext, chatIds: number[]): Promise<Map<number, DialogFacts>> {
    const out = new Map<number, DialogFacts>();
    if (chatIds.length === 0) return out;
    const calls: Record<string, Call> = {};
    for (const c of new Set(chatIds)) calls[`d${c}`] = ['imopenlines.dialog.get', { CHAT_ID: c }];
    try {
      const res = await j.client.batch(calls);
      for (const c of chatIds) {
        const e = res.errors[`d${c}`];
        // An error leaves the chat unread: ACCESS_ERROR is "not found or no access"
        // (imopenlines-dialog-get.md), never proof that the dialog is over (openlines/unreadable.ts).
        if (e) continue;
        const f = parseDialog(res.results[`d${c}`]);
        if (f) out.set(c, f);
      }
    } catch (err) {
      j.log.warn({ err: (err as Error).message }, 'could not read back refused closes');
    }
    return out;
  }
}

function sinceOf(i: CloseIntent): number {
  const since = (i.reason as { sinceMs?: unknown } | null)?.sinceMs;
  return typeof since === 'number' ? since : i.decidedAt;
}

function listed(out: Outcome): CloseEntry['outcome'] {
  return out === 'closed'
    ? 'closed'
    : out === 'already_closed'
      ? 'already_closed'
      : out === 'retry'
        ? 'pending'
        : 'failed';
}

function entryOf(
  chatId: number,
  row: DialogRow | undefined,
  rule: IdleRule,
  since: number,
  now: number,
  outcome: CloseEntry['outcome'],
): CloseEntry {
  return {
    chatId,
    lineId: row?.lineId ?? 0,
    rule,
    idleDays: Math.floor((now - since) / DAY_MS),
    operatorId: row?.holder === 'operator' ? row.operatorId : null,
    outcome,
  };
}

/** The log's reason for a close, in the job's own words (the dashboard shows text_en / text_ru). */
export function closeReason(v: IdleVerdict, now: number): Record<string, unknown> {
  const days = Math.floor((now - v.since) / DAY_MS);
  const date = new Date(v.since).toISOString().slice(0, 10);
  const text =
    v.rule === 'no_operator_answer'
      ? {
          text_en: `Closed: no operator has answered for ${days} days (since ${date}; the line closes after ${v.thresholdDays}).`,
          text_ru: `Закрыт: оператор не ответил за ${days} дн. (с ${date}; порог линии — ${v.thresholdDays} дн.).`,
        }
      : {
          text_en: `Closed: the operator wrote last and the client has not replied for ${days} days (since ${date}; the line closes after ${v.thresholdDays}).`,
          text_ru: `Закрыт: оператор ответил последним, клиент молчит ${days} дн. (с ${date}; порог линии — ${v.thresholdDays} дн.).`,
        };
  return {
    job: 'close-idle',
    rule: v.rule,
    thresholdDays: v.thresholdDays,
    idleDays: days,
    sinceMs: v.since,
    ...text,
  };
}
