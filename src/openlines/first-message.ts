import { portalLang } from '../crm/comment.ts';
import type { ChatBreachRecord, ChatBreachRepository } from '../db/repositories/chat-breaches.ts';
import type { DialogRow } from '../db/repositories/dialogs.ts';
import type { BreachRow, Notice, NoticeRow } from '../db/repositories/first-touch-types.ts';
import type { Decision } from '../engine/index.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import { sendNotices } from '../portal/system-notices.ts';
import type { LineSettings } from '../settings/schema.ts';
import {
  type ChatBreachFacts,
  chatBreachWords,
  chatNoticeText,
  clientNameOf,
  type Lang,
  type NoticeRole,
} from './first-message-texts.ts';
import { firstMessageDeadline } from './lines.ts';
import { pendingFor } from './move-commands.ts';
import { type LineIndex, queueId } from './queue-index.ts';
import type { OpenLinesService } from './service.ts';

/*
 * A chat's first-message deadline (issue 18), checked by the pass-on job. The dialog register
 * row is the watch: its pass_on_at is the deadline, which, for a line with the deadline
 * switched on, counts only inside the line's working hours. A dialog its operator has not
 * answered by then is a breach: passed on by the line's own rule (reassign) or kept with the
 * operator, who is told (notify); on the N-th breach of the session the supervisor is told too.
 * The breach, its notices (rendered once, in the portal's language), its log entry in words and
 * the row's next step (the recorded move, or the next deadline) are one transaction before the
 * portal hears of anything; the notifications go at the end of the run, once the moves are done,
 * in one batch (system-notices.ts: exactly once as the reader sees it).
 */

export interface FirstMessageDeps {
  svc: OpenLinesService;
  breaches: ChatBreachRepository;
  /** the portal's language (installation record) */
  language(memberId: string): Promise<string | undefined>;
}

export const sessionKey = (row: Pick<DialogRow, 'chatId' | 'sessionId'>) => `${row.chatId}:${row.sessionId}`;

/** One pass-on run's chat breaches (a new one per run). */
export class FirstMessageRun {
  readonly out = { breaches: 0, reassigned: 0, notified: 0, escalated: 0, resent: 0 };
  private readonly list: Record<string, unknown>[] = [];
  private latest = new Map<string, BreachRow>();
  private lang: Lang = 'en';

  constructor(
    private readonly d: FirstMessageDeps,
    private readonly j: JobContext,
  ) {}

  /** Reads what the due rows' earlier breaches were (one query) and the portal's language. */
  async prepare(due: readonly DialogRow[]): Promise<void> {
    this.latest = await this.d.breaches.latest(this.j.memberId, due.map(sessionKey));
    this.lang = portalLang(await this.d.language(this.j.memberId));
  }

  /**
   * An unanswered dialog past its deadline on a line with the deadline on. `decide` is the
   * pass-on decision (committed to the queue's order, or to a dry run's copy). Returns whether
   * it was passed on and the move under way.
   */
  async breach(
    row: DialogRow,
    idx: LineIndex,
    history: unknown,
    settings: LineSettings,
    decide: () => Promise<Decision>,
  ): Promise<{ passedOn: boolean; done?: Promise<void> }> {
    const { memberId, client, now, dryRun } = this.j;
    const fm = settings.firstMessage;
    const holderId = row.operatorId!;
    const objectId = sessionKey(row);
    const breachNo = (this.latest.get(objectId)?.breachNo ?? 0) + 1;
    const decision = fm.onBreach === 'reassign' ? await decide() : null;
    const assigned = decision?.action === 'assign' ? decision : null;
    const newHolderId = assigned?.operatorId ?? null;
    const escalating = breachNo >= fm.escalateAfterBreaches;
    // The supervisor hears of the N-th miss only; a chat nobody else takes stops being watched there.
    const supervisorId = breachNo === fm.escalateAfterBreaches ? fm.supervisorId : null;
    const seconds = idx.rules.passOnAfterSec ?? 0;
    const ids = [holderId, newHolderId, supervisorId].filter((x): x is number => x !== null);
    const infos = await this.d.svc.d.directory.get(memberId, client, ids);
    const nameOf = (id: number) => infos.get(id)?.name || `#${id}`;
    const facts: ChatBreachFacts = {
      chatId: row.chatId,
      client: clientNameOf(history, row.chatId) ?? `#${row.chatId}`,
      line: String(idx.line.config.LINE_NAME ?? '').trim() || `#${row.lineId}`,
      waitedMs: now - row.arrivedAt,
      seconds,
      breachNo,
      holder: nameOf(holderId),
      newHolder: newHolderId === null ? null : nameOf(newHolderId),
    };
    const notices: Notice[] = [];
    const tell = (userId: number, role: NoticeRole) => {
      if (notices.some((n) => n.userId === userId)) return;
      const tag = `first_message|${objectId}|${breachNo}|${userId}`;
      notices.push({ userId, role, tag, message: chatNoticeText(role, facts, this.lang) });
    };
    if (newHolderId !== null) {
      tell(newHolderId, 'new_holder');
      tell(holderId, 'previous');
    } else tell(holderId, 'holder');
    if (supervisorId !== null) tell(supervisorId, 'supervisor');
    const action = newHolderId !== null ? 'reassign' : 'notify';
    const words = chatBreachWords(facts, {
      action,
      nobodyElse: fm.onBreach === 'reassign' && newHolderId === null,
      supervisor: supervisorId === null ? null : nameOf(supervisorId),
    });
    const record: ChatBreachRecord = {
      memberId,
      objectId,
      breachNo,
      queueId: queueId(row.lineId),
      holderId,
      action,
      newHolderId,
      supervisorId,
      waitedMs: facts.waitedMs,
      dueAt: row.passOnAt ?? now,
      at: now,
      notices,
      log: {
        memberId,
        kind: 'dialog',
        objectId: String(row.chatId),
        queueId: queueId(row.lineId),
        action: 'breach',
        operatorId: newHolderId ?? holderId,
        previousOperatorId: holderId,
        reason: {
          rule: 'first_message_breach',
          breachNo,
          action,
          seconds,
          waitedMs: facts.waitedMs,
          sessionId: row.sessionId,
          newHolderId,
          supervisorId,
          ...words,
        },
        at: now,
      },
    };
    this.count(record, row);
    if (dryRun) return { passedOn: assigned !== null };
    const next = escalating && !assigned ? null : firstMessageDeadline(now, idx.rules, settings);
    const pending = assigned
      ? pendingFor(this.d.svc.d.claims.owner, holderId, assigned, now, 'pass_on')
      : null;
    const upd = await this.d.breaches.record(record, row, pending ? { pending } : { passOnAt: next });
    if (!upd) {
      // Another run got there first: what this one decided is not what the register says, and
      // (a quota) not carried out, so it does not count either.
      if (assigned) {
        this.d.svc.d.indexes.invalidate(memberId, row.lineId);
        await this.d.svc.d.indexes.uncount(memberId, row.sessionId, assigned.operatorId, now);
      }
      return { passedOn: false };
    }
    if (!pending) return { passedOn: false };
    this.d.svc.outcomes.recordedHere(upd.id, pending.decidedAt);
    return { passedOn: true, done: this.d.svc.moves.execute(memberId, upd.id, upd) };
  }

  private count(b: ChatBreachRecord, row: DialogRow): void {
    this.out.breaches++;
    if (b.action === 'reassign') this.out.reassigned++;
    else this.out.notified++;
    if (b.supervisorId !== null) this.out.escalated++;
    this.list.push({
      chatId: row.chatId,
      lineId: row.lineId,
      breach: b.breachNo,
      holderId: b.holderId,
      action: b.action,
      ...(b.newHolderId !== null ? { to: b.newHolderId } : {}),
      ...(b.supervisorId !== null ? { escalatedTo: b.supervisorId } : {}),
      waitedSec: Math.round(b.waitedMs / 1000),
    });
  }

  /**
   * Sends the notices of every recorded breach not yet written whose move is done (this run's
   * and any a crashed run left), in one batch, and marks each breach written once all its
   * notices are confirmed. A breach whose move is still on the wire waits for the next run; one
   * whose move did not go through (the portal refused the operator: the chat went back to
   * distribution) drops the "now yours" / "went to" notices, which would say what did not happen.
   */
  async finish(): Promise<void> {
    const { memberId, client } = this.j;
    const repo = this.d.breaches.notices;
    const ready: BreachRow[] = [];
    const notices: NoticeRow[] = [];
    for (const b of await repo.unwritten(memberId)) {
      const [chatId, sessionId] = b.objectId.split(':').map(Number);
      const row = await this.d.svc.d.dialogs.findBySession(memberId, chatId, sessionId);
      if (row?.state === 'transferring') continue;
      ready.push(b);
      const moved = row?.operatorId === b.newHolderId && (row.state === 'assigned' || row.state === 'portal');
      for (const n of await repo.unsentNotices(memberId, b.objectId, b.breachNo)) {
        if (b.action === 'reassign' && !moved && (n.role === 'new_holder' || n.role === 'previous'))
          await repo.dropNotice(memberId, n);
        else notices.push(n);
      }
    }
    if (ready.length === 0) return;
    this.out.resent += notices.filter((n) => n.attempts > 0).length;
    const { clock, log } = this.d.svc.d;
    const sent = await sendNotices({ repo, clock, log }, memberId, client, notices);
    for (const b of ready) {
      const mine = notices.filter((n) => n.objectId === b.objectId && n.breachNo === b.breachNo);
      if (mine.every((n) => sent.has(`${n.objectId}#${n.breachNo}#${n.userId}`)))
        await repo.breachWritten(memberId, b.objectId, b.breachNo);
    }
  }

  /** The run's counters as firstMessage_<name> (none when nothing happened), and the list of breaches. */
  result(): JobResult {
    const r: JobResult = {};
    if (Object.values(this.out).every((v) => v === 0)) return r;
    for (const [k, v] of Object.entries(this.out)) r[`firstMessage_${k}`] = v;
    if (this.list.length > 0) r.firstMessage_list = this.list.slice(0, 100);
    return r;
  }
}
