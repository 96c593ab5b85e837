import type { DialogRow } from '../db/repositories/dialogs.ts';
import {
  availabilityOf,
  type LoadCounting,
  onOperatorUnavailable,
  type QueueRules,
  type Reason,
  type UnavailableWhy,
} from '../engine/index.ts';
import type { JobContext, JobResult, PortalJob } from '../jobs/types.ts';
import { toOperatorState } from '../operators/index.ts';
import type { BatchResult, Call } from '../portal/client.ts';
import { rulesFor } from './lines.ts';
import { type DialogFacts, dialogUnreadable, parseDialog, parseHistory } from './portal-adapter.ts';
import { queueId } from './queue-index.ts';
import { chooseReads } from './sync-reads.ts';
import type { OpenLinesService } from './service.ts';

interface LineFacts {
  rules: QueueRules;
  counting: LoadCounting | null;
  passOn: boolean;
}

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

  constructor(
    private readonly svc: OpenLinesService,
    /** the lead part's sync step, when leads are loaded (it runs on this job's schedule) */
    private readonly leads: () => { sync(j: JobContext): Promise<JobResult> } | undefined = () => undefined,
    /** the absence step (absence/step.ts), when loaded: it runs first, so a handover's moves go before returns */
    private readonly absences: () => { sync(j: JobContext): Promise<JobResult> } | undefined = () =>
      undefined,
  ) {}

  async runForPortal(j: JobContext): Promise<JobResult> {
    const { memberId, client, now, dryRun } = j;
    const d = this.svc.d;
    let botId = await this.svc.botId(memberId);
    if (botId === null && !dryRun) botId = await this.svc.ensureBot(memberId, client);

    // One request reads the lines, every operator's availability and the dialogs worth reading
    // (sync-reads.ts: those whose state decides a load every run, the rest on a bounded sweep).
    const open = await d.dialogs.open(memberId, ['waiting', 'assigned', 'portal']);
    const lineFacts = await this.lineFacts(memberId);
    const watched = [...chooseReads(open, lineFacts, now).keys()];
    const ids = new Set<number>((await d.lines.all(memberId)).flatMap((l) => l.queue));
    for (const row of open) if (row.operatorId) ids.add(row.operatorId);
    const plan = d.directory.refreshPlan(memberId, ids);
    const dialogCalls: Record<string, Call> = {};
    for (const chat of new Set(watched.map((w) => w.chatId))) {
      dialogCalls[`dlg${chat}`] = ['imopenlines.dialog.get', { CHAT_ID: chat }];
    }
    const lines = await d.lines.sync(memberId, client, botId, dryRun, { ...plan.calls, ...dialogCalls });
    try {
      plan.ingest(lines.piggyback);
    } catch (err) {
      j.log.warn({ err: (err as Error).message }, 'operators could not be read; older data stays in use');
    }
    const joined = (await d.lines.all(memberId)).flatMap((l) => l.queue).filter((id) => !ids.has(id));
    if (joined.length > 0) await d.directory.get(memberId, client, joined, { fresh: true });
    d.indexes.invalidate(memberId);

    const r: Record<string, number> = {
      lines: lines.lines,
      attached: lines.attached,
      operators: ids.size + joined.length,
      dialogs: open.length,
      read: watched.length,
      closed: 0,
      movedByPortal: 0,
      answered: 0,
      returned: 0,
      returnedToWait: 0,
      stayed: 0,
      recovered: 0,
      unreadable: 0,
    };
    const { facts, unreadable } = this.dialogFacts(lines.piggyback, Object.keys(dialogCalls));
    const refused = watched.filter((w) => unreadable.has(w.chatId));
    r.unreadable = refused.length;
    if (!dryRun) {
      await d.dialogs.markChecked(
        watched.filter((w) => facts.has(w.chatId)).map((w) => w.id),
        now,
      );
      // Not found or no access: never a reason to close (unreadable.ts); read again later.
      await d.dialogs.markUnreadable(
        refused.map((w) => w.id),
        now,
      );
    }

    j.progress?.({ step: 'dialogs read', ...r });
    const live: DialogRow[] = [];
    const needHistory = new Set<DialogRow>();
    for (const row of open) {
      const f = facts.get(row.chatId);
      if (f === undefined) {
        live.push(row);
        continue;
      }
      const outcome = this.compare(row, f, botId, now);
      if (outcome === 'closed') {
        r.closed++;
        if (!dryRun) await this.svc.outcomes.close(row, now);
        continue;
      }
      if (outcome === 'moved') {
        r.movedByPortal++;
        if (!dryRun) await this.movedByPortal(memberId, row, f, now);
        continue;
      }
      const newMessages = f.lastMessageId > row.lastMessageId;
      const whoWroteLastCounts = lineFacts.get(row.lineId)?.counting === 'excluding_waiting_client';
      if (
        (row.state === 'assigned' || row.state === 'portal') &&
        newMessages &&
        (!row.answered || whoWroteLastCounts)
      )
        needHistory.add(row);
      live.push(row);
    }

    // Which operators holding dialogs are no longer available; their unanswered dialogs need
    // their history read before the portal's rules can say whether they stay.
    const opSettings = await d.settings.operators(memberId);
    const unavailable = new Map<number, UnavailableWhy>();
    for (const row of live) {
      if (row.state !== 'assigned' || !row.operatorId) continue;
      const rules = lineFacts.get(row.lineId)?.rules;
      const st = toOperatorState(d.directory.peek(memberId, [row.operatorId]).get(row.operatorId), {
        settings: opSettings[String(row.operatorId)],
      });
      if (!rules || !st) continue;
      const why = availabilityOf(st, rules, now);
      if (why === null || why === 'excluded' || why === 'unknown') continue;
      unavailable.set(row.id, why);
      if (!row.answered) needHistory.add(row);
    }

    const refreshed = await this.readHistory(client, [...needHistory]);
    for (const row of needHistory) {
      const h = refreshed.get(row.id);
      if (!h) continue;
      const answered = row.answered || h.answeredSince;
      if (answered && !row.answered) r.answered++;
      if (dryRun) {
        // Nothing is written, but what was read still decides the outcomes reported below.
        live[live.indexOf(row)] = { ...row, answered, lastFrom: h.lastFrom ?? row.lastFrom };
        continue;
      }
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
    // What was just learnt (answers, who wrote last) changes the counted load.
    if (needHistory.size > 0) d.indexes.invalidate(memberId);

    // Absences that start or end now, once the answers are known: a starting one hands its
    // person's unanswered dialogs to the deputy before the returns below would send them back
    // to distribution (the rows it moved are no longer theirs to return).
    const absences = this.absences();
    const absenceOut = absences ? await absences.sync(j) : {};

    // The portal's rules for dialogs whose operator is no longer available.
    const returning: Promise<unknown>[] = [];
    for (const row of live) {
      const why = unavailable.get(row.id);
      if (!why || row.state !== 'assigned' || !row.operatorId) continue;
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
      const idx = await d.indexes.get(memberId, row.lineId, client);
      if (!idx) continue;
      const item = await this.svc.placement.itemFor(memberId, idx, row, client);
      // A dry run only looks; the real run decides in the queue's turn (queue-turn.ts).
      const decision = dryRun ? idx.dispatcher.decide(item, now) : await d.indexes.decideOne(idx, item, now);
      if (dryRun) {
        // decide() only looks; the real run would assign (or hand to the portal) or put it back to wait.
        if (decision.action === 'assign' || decision.action === 'portal_queue') r.returned++;
        else r.returnedToWait++;
        continue;
      }
      const reason: Reason = { ...decision.reason, dialog: outcome.reason.dialog };
      if (decision.action === 'assign' || decision.action === 'portal_queue') {
        const res = await this.svc.placement.record(memberId, idx, row, { ...decision, reason }, now, {
          logAction: 'return',
        });
        if (res.action !== 'conflict') r.returned++;
        // Not awaited one by one: the returns of this run leave together in batch requests.
        if (res.done) returning.push(res.done);
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

    await Promise.all(returning);
    // What this run read of the operators is in the store before the run ends: every other
    // process (the server beside a CLI run) decides from it next (snapshot-watch.ts).
    await d.directory.saved(memberId);
    j.progress?.({ step: 'waiting queue', ...r });
    if (!dryRun) r.recovered = await this.svc.moves.recover(memberId);
    const drained = await this.svc.queue.drain(memberId, client, now, { awaitTransfers: true, dryRun });
    const out: JobResult = {
      ...r,
      assigned: drained.assigned,
      handedToPortal: drained.portal,
      waiting: drained.waiting,
    };
    for (const [k, v] of Object.entries(absenceOut)) if (v) out[`absences_${k}`] = v;
    // Leads have their own register to correct and waiting queue to drain, on the same schedule.
    const leads = this.leads();
    if (leads) {
      j.progress?.({ step: 'leads', ...out });
      for (const [k, v] of Object.entries(await leads.sync(j))) out[`leads_${k}`] = v;
    }
    return out;
  }

  /**
   * Per line: what its load limit counts (null when load decides nothing there: no limit and
   * not least-loaded), and whether the pass-on job watches its unanswered dialogs.
   */
  private async lineFacts(memberId: string): Promise<Map<number, LineFacts>> {
    const out = new Map<number, LineFacts>();
    for (const line of await this.svc.d.lines.all(memberId)) {
      const rules = rulesFor(line, await this.svc.d.settings.line(memberId, line.lineId));
      const matters =
        rules.capacity.limit !== null ||
        rules.queue.some((m) => m.limit != null) ||
        rules.mode === 'least_loaded';
      out.set(line.lineId, {
        rules,
        counting: matters ? rules.capacity.counts : null,
        passOn: rules.mode !== 'all' && rules.passOnAfterSec !== null,
      });
    }
    return out;
  }

  /** What the batch said of each chat: its facts, or that the portal refused to show it. */
  private dialogFacts(res: BatchResult, labels: string[]) {
    const facts = new Map<number, DialogFacts>();
    const unreadable = new Set<number>();
    for (const label of labels) {
      const chat = Number(label.slice(3));
      const e = res.errors[label];
      if (e) {
        if (dialogUnreadable(e.error)) unreadable.add(chat);
        continue;
      }
      const f = parseDialog(res.results[label]);
      if (f) facts.set(chat, f);
    }
    return { facts, unreadable };
  }

  /** What the portal's view means for the register row. */
  private compare(row: DialogRow, f: DialogFacts, botId: number | null, now: number) {
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
    // An operator's dialog that someone else holds now: a person moved it in Bitrix24.
    const byPerson = row.state !== 'waiting' && row.holder === 'operator' && row.operatorId !== null;
    if (byPerson) {
      await d.assignmentLog.add({
        memberId,
        kind: 'dialog',
        objectId: String(row.chatId),
        queueId: queueId(row.lineId),
        action: 'transfer',
        operatorId: f.ownerId,
        previousOperatorId: row.operatorId,
        reason: {
          rule: 'transfer',
          text_en: 'A person transferred the dialog in Bitrix24',
          text_ru: 'Сотрудник передал диалог в Битрикс24',
        },
        at: now,
      });
    }
    await d.indexes.refreshLoads(memberId, row.lineId);
    if (row.state !== 'waiting') this.svc.queue.kickDrain(memberId, row.lineId);
    this.svc.outcomes.tellOwner(upd, {
      from: row.holder === 'operator' ? row.operatorId : null,
      to: f.ownerId,
      cause: byPerson ? 'transfer' : 'portal_queue',
      byPerson,
      at: now,
    });
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
