import type { LogAction } from '../../db/repositories/assignment-log.ts';
import type { DialogRow, PendingMove } from '../../db/repositories/dialogs.ts';
import type { MaintenanceRepository } from '../../db/repositories/maintenance.ts';
import {
  type Decision,
  Dispatcher,
  onOperatorUnavailable,
  type OperatorState,
  type Reason,
} from '../../engine/index.ts';
import { rulesFor } from '../../openlines/lines.ts';
import { type DialogFacts, parseDialog } from '../../openlines/portal-adapter.ts';
import type { LineIndex } from '../../openlines/queue-index.ts';
import type { OpenLinesService } from '../../openlines/service.ts';
import type { OperatorInfo } from '../../operators/index.ts';
import type { Call } from '../../portal/client.ts';
import type { JobContext, JobResult, PortalJob } from '../types.ts';
import { dailyGate, type PortalZones, zoneLabel } from './portal-time.ts';
import { CappedList } from './summary-list.ts';

/** The assignment log's action for these moves: "its operator left the queue or was dismissed". */
export const RECLAIM_ACTION: PendingMove['logAction'] & LogAction = 'reclaim';

export type DepartedCause = 'dismissed' | 'not_found' | 'left_queue';

/** Lines read longer ago than this are read again before their queues are judged. */
const LINE_FRESH_MS = 10 * 60_000;

/** The reason detail that marks a register move as this job's (a re-run finishes it). */
const DETAIL_PREFIX = 'reclaim_';

export interface ReclaimJobOptions {
  openlines: () => OpenLinesService;
  repo: MaintenanceRepository;
  zones: PortalZones;
  clock: () => number;
  /** true while the run is one the server's schedule started (the daily gate applies) */
  isScheduled: () => boolean;
  /** local hour from which the daily work is due; default 3 */
  hour?: number;
}

export interface ReclaimEntry {
  chatId: number;
  lineId: number;
  from: number;
  cause: DepartedCause;
  /** the operator it goes (went) to; null = the line's own queue */
  to: number | null;
  outcome: 'would_move' | 'reclaimed' | 'to_line_queue' | 'pending' | 'refused' | 'kept';
  /** the engine's rule, or why it was kept */
  reason: string;
}

/**
 * The `reclaim-departed` job: dialogs held by staff who were dismissed (user.get ACTIVE false,
 * or no longer listed at all) or who are no longer in the queue of the dialog's line go back to
 * distribution: to the operator the line's rules pick now, or to the line's own queue
 * (imopenlines.operator.transfer TRANSFER_ID queue<line>) when nobody can take it.
 *
 * Scheduled hourly, it does its work once a local day from 03:00 in the portal's zone; a run
 * from the CLI (or any run the schedule did not start) always works. Moves go through the
 * open-lines service: the decision is written to the register (state 'transferring') before the
 * portal is asked, the transfer goes out in the batched write queue, and the confirmation logs
 * it once, so a run after a crash finishes those moves instead of deciding again.
 */
export class ReclaimDepartedJob implements PortalJob {
  readonly name = 'reclaim-departed' as const;

  constructor(private readonly o: ReclaimJobOptions) {}

  async runForPortal(j: JobContext): Promise<JobResult> {
    const { memberId, client, now, dryRun } = j;
    const svc = this.o.openlines();
    const d = svc.d;
    const zone = await this.o.zones.get(memberId, client);
    const tz = zoneLabel(zone.zone);
    const scheduled = this.o.isScheduled();
    const gate = dailyGate(
      now,
      zone.zone,
      this.o.hour ?? 3,
      (await this.o.repo.dailyRun(memberId, this.name))?.localDay,
    );
    if (scheduled && !gate.due) {
      return { due: false, why: gate.why, localDay: gate.localDay, timeZone: tz, zoneSource: zone.source };
    }

    const r = { checked: 0, departed: 0, reclaimed: 0, to_line_queue: 0, resumed: 0, skipped: 0, errors: 0 };
    const list = new CappedList<ReclaimEntry>();
    const waits: { row: DialogRow; entry: ReclaimEntry; done: Promise<void> | undefined }[] = [];

    // Moves an earlier run recorded and the portal has not confirmed: finish them first. One the
    // portal already carried out is only confirmed: asking again would move a dialog the line's
    // queue has handed on since.
    const unfinished = (await d.dialogs.open(memberId, ['transferring'])).filter(isReclaimMove);
    r.resumed = unfinished.length;
    const owners = dryRun ? new Map<number, DialogFacts | null>() : await readDialogs(j, unfinished);
    for (const row of unfinished) {
      const p = row.pending!;
      const entry: ReclaimEntry = {
        chatId: row.chatId,
        lineId: row.lineId,
        from: p.fromId ?? 0,
        cause: String((p.reason as Reason).detail).slice(DETAIL_PREFIX.length) as DepartedCause,
        to: p.targetId,
        outcome: 'pending',
        reason: (p.reason as Reason).rule,
      };
      if (dryRun) {
        list.push(entry);
        continue;
      }
      const f = owners.get(row.chatId);
      const sameSession = !!f && (f.sessionId === null || f.sessionId === row.sessionId);
      const happened =
        sameSession && (p.targetId !== null ? f.ownerId === p.targetId : f.ownerId !== p.fromId);
      const done = happened
        ? svc.outcomes.confirm(memberId, row, { note: 'confirmed_after_restart' }).then(() => undefined)
        : svc.moves.execute(memberId, row.id);
      waits.push({ row, entry, done });
    }

    // Dialogs an operator holds at the portal (assigned by the app or the portal, or waiting in
    // the app's queue after a return).
    const rows = (await d.dialogs.open(memberId, ['assigned', 'portal', 'waiting'])).filter(
      (row) => row.holder === 'operator' && !!row.operatorId,
    );
    r.checked = rows.length;
    const byLine = new Map<number, DialogRow[]>();
    for (const row of rows) byLine.set(row.lineId, [...(byLine.get(row.lineId) ?? []), row]);
    if (!dryRun) await this.refreshStaleLines(j, svc, [...byLine.keys()]);

    // What the portal says now about the holders and about everyone who could take over (one
    // batched read); the lines' indexes are rebuilt on it, so a dismissal counts in decisions too.
    const ids = new Set(rows.map((row) => row.operatorId!));
    for (const lineId of byLine.keys()) {
      const line = await d.lines.get(memberId, lineId);
      if (line) for (const m of rulesFor(line, await d.settings.line(memberId, lineId)).queue) ids.add(m.id);
    }
    const infos: Map<number, OperatorInfo> =
      ids.size > 0 ? await d.directory.get(memberId, client, ids, { fresh: true }) : new Map();
    d.indexes.invalidate(memberId);

    for (const [lineId, lineRows] of byLine) {
      if (j.signal?.aborted) break;
      const idx = await d.indexes.get(memberId, lineId, client);
      const queue = new Set(idx?.rules.queue.map((m) => m.id) ?? []);
      const departed: { row: DialogRow; cause: DepartedCause }[] = [];
      for (const row of lineRows) {
        const info = infos.get(row.operatorId!);
        const cause: DepartedCause | null = !info
          ? 'not_found'
          : !info.active
            ? 'dismissed'
            : idx && !queue.has(row.operatorId!)
              ? 'left_queue'
              : null;
        if (cause) departed.push({ row, cause });
      }
      if (departed.length === 0) continue;
      r.departed += departed.length;
      if (!idx) {
        // A line the app cannot read has no queue to go back to: leave them, say so.
        for (const { row, cause } of departed) {
          r.skipped++;
          list.push(entryOf(row, cause, null, 'kept', 'unknown_line'));
        }
        continue;
      }
      // A dry run decides on a copy; the real run in the queue's turn (openlines/queue-turn.ts).
      const copy = dryRun ? copyOf(idx, now) : undefined;
      for (const { row, cause } of departed) {
        const holder = row.operatorId!;
        if (cause === 'left_queue' && (await this.isClientsResponsible(j, svc, idx, row))) {
          // The client's own CRM manager holds it on purpose (routing by responsible reaches outside the queue).
          r.skipped++;
          list.push(entryOf(row, cause, holder, 'kept', 'crm_responsible'));
          continue;
        }
        const outcome = onOperatorUnavailable(
          {
            id: row.id,
            operatorId: holder,
            accepted: row.answered,
            operatorAnswered: row.answered,
            lastMessageFrom: row.lastFrom,
          },
          cause === 'left_queue' ? 'left_queue' : 'dismissed',
        );
        const item = await svc.placement.itemFor(memberId, idx, row, client);
        if (copy)
          bringIn(copy, idx, [item.previousOperatorId ?? 0, ...(item.crm ?? []).map((l) => l.responsibleId)]);
        const first = copy
          ? copy.decide(item, now)
          : await d.indexes.decide(
              idx,
              (dispatcher, turn) => {
                const x = dispatcher.decide(item, now);
                // Kept with its holder: nothing moves, nothing is counted.
                if (!(x.action === 'assign' && x.operatorId === holder)) turn.commit(x);
                return x;
              },
              [item],
            );
        if (first.action === 'assign' && first.operatorId === holder) {
          r.skipped++;
          list.push(entryOf(row, cause, holder, 'kept', first.reason.rule));
          continue;
        }
        // Nobody can take it now: the line's own queue, not the app's waiting list.
        const decision: Decision =
          first.action === 'assign' || first.action === 'portal_queue'
            ? first
            : {
                action: 'portal_queue',
                itemId: first.itemId,
                reason: { ...first.reason, rule: 'portal_queue' },
              };
        const reason: Reason = {
          ...decision.reason,
          dialog: outcome.reason.dialog,
          detail: `${DETAIL_PREFIX}${cause}`,
        };
        const to = decision.action === 'assign' ? decision.operatorId : null;
        if (copy) {
          copy.commit(decision);
          if (to === null) r.to_line_queue++;
          else r.reclaimed++;
          list.push(entryOf(row, cause, to, 'would_move', reason.rule));
          continue;
        }
        const res = await svc.placement.record(memberId, idx, row, { ...decision, reason }, now, {
          logAction: RECLAIM_ACTION,
        });
        if (res.action === 'conflict') {
          r.skipped++;
          continue;
        }
        waits.push({ row, entry: entryOf(row, cause, to, 'pending', reason.rule), done: res.done });
      }
    }

    // The transfers go out together (write queue); then the register says how each one ended.
    await Promise.all(waits.map((w) => w.done));
    const to = new Map<number, number>();
    for (const w of waits) {
      const row = await d.dialogs.get(w.row.id);
      const e = w.entry;
      if (row?.state === 'assigned' && e.to !== null && row.operatorId === e.to) {
        e.outcome = 'reclaimed';
        r.reclaimed++;
        to.set(e.to, (to.get(e.to) ?? 0) + 1);
      } else if (row?.state === 'portal' && e.to === null) {
        e.outcome = 'to_line_queue';
        r.to_line_queue++;
      } else if (row?.state === 'transferring') {
        // Still unconfirmed (the portal did not answer): sync and the next run retry it.
        r.errors++;
      } else {
        // The portal refused the target or someone moved the dialog first; the service re-decided.
        e.outcome = 'refused';
        r.errors++;
      }
      list.push(e);
    }
    // A run before the day's hour (from the CLI) does not stand in for the day's run, and a
    // second run on a day already done leaves the first one's record as it is.
    if (!dryRun && !j.signal?.aborted && gate.due) {
      await this.o.repo.markDailyRun(memberId, this.name, {
        localDay: gate.localDay,
        timeZone: tz,
        doneAt: this.o.clock(),
      });
    }
    return {
      ...r,
      reclaimedTo: [...to].map(([operatorId, dialogs]) => ({ operatorId, dialogs })),
      dialogs: list.items,
      dialogsOmitted: list.omitted,
      localDay: gate.localDay,
      timeZone: tz,
      zoneSource: zone.source,
    };
  }

  /**
   * Who is in a queue is what this job judges by: lines the sync job has not read for a while
   * are read now (one batch request). A dry run uses what the app has, writing nothing.
   */
  private async refreshStaleLines(j: JobContext, svc: OpenLinesService, lineIds: number[]): Promise<void> {
    const d = svc.d;
    const stale: number[] = [];
    for (const lineId of lineIds) {
      const line = await d.lines.get(j.memberId, lineId);
      if (!line || this.o.clock() - line.fetchedAt > LINE_FRESH_MS) stale.push(lineId);
    }
    if (stale.length === 0) return;
    await d.lines.refresh(j.memberId, j.client, stale);
    for (const lineId of stale) d.indexes.invalidate(j.memberId, lineId);
  }

  private async isClientsResponsible(
    j: JobContext,
    svc: OpenLinesService,
    idx: LineIndex,
    row: DialogRow,
  ): Promise<boolean> {
    if (!row.crm) return false;
    const links = await svc.d.crm.linksFor(
      j.memberId,
      j.client,
      row.crm,
      idx.rules.responsible.precedence,
      row.arrivedAt,
    );
    return links.some((l) => l.responsibleId === row.operatorId);
  }
}

/** imopenlines.dialog.get for the rows' chats (≤ 50 per request); absent = unreadable now. */
async function readDialogs(j: JobContext, rows: DialogRow[]): Promise<Map<number, DialogFacts | null>> {
  const out = new Map<number, DialogFacts | null>();
  if (rows.length === 0) return out;
  const calls: Record<string, Call> = {};
  for (const row of rows) calls[`d${row.chatId}`] = ['imopenlines.dialog.get', { CHAT_ID: row.chatId }];
  try {
    const res = await j.client.batch(calls);
    for (const row of rows) {
      const f = parseDialog(res.results[`d${row.chatId}`]);
      if (f) out.set(row.chatId, f);
    }
  } catch (err) {
    j.log.warn({ err: (err as Error).message }, 'could not read unfinished moves back; asking again');
  }
  return out;
}

function isReclaimMove(row: DialogRow): boolean {
  const detail = (row.pending?.reason as Partial<Reason> | undefined)?.detail;
  return typeof detail === 'string' && detail.startsWith(DETAIL_PREFIX);
}

function entryOf(
  row: DialogRow,
  cause: DepartedCause,
  to: number | null,
  outcome: ReclaimEntry['outcome'],
  reason: string,
): ReclaimEntry {
  return { chatId: row.chatId, lineId: row.lineId, from: row.operatorId ?? 0, cause, to, outcome, reason };
}

/** A dry run decides on a copy of the line's index, so what it would do changes nothing live. */
function copyOf(idx: LineIndex, now: number): Dispatcher {
  const states = idx.dispatcher.rules.queue
    .map((m) => idx.dispatcher.stateOf(m.id))
    .filter((s): s is OperatorState => !!s);
  return new Dispatcher(idx.dispatcher.rules, states, now);
}

/** Operators outside the queue the live index knows (a responsible, a previous operator). */
function bringIn(copy: Dispatcher, idx: LineIndex, ids: number[]): void {
  for (const id of ids) {
    if (id <= 0 || copy.stateOf(id)) continue;
    const st = idx.dispatcher.stateOf(id);
    if (st) copy.upsertOperator(st);
  }
}
