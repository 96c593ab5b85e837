import type { DialogRow } from '../db/repositories/dialogs.ts';
import { eligibility, membersById } from '../engine/availability.ts';
import { availabilityOf } from '../engine/index.ts';
import { toOperatorState } from '../operators/index.ts';
import type { Call } from '../portal/client.ts';
import { answeredPatch, dialogUnreadable, parseDialog, parseHistory } from './portal-adapter.ts';
import { readDue } from './unreadable.ts';
import type { OpenLinesService } from './service.ts';
import { withRestClass } from '../portal/rest-priority.ts';

/** Commands in one tick: one batch request, whatever waits. */
export const WATCH_COMMANDS = 50;

export interface WatchTickResult {
  /** commands sent (0: nothing waits, or nobody's change could free a place) */
  commands: number;
  closed: number;
  answered: number;
  returned: number;
}

/**
 * Freed capacity used at once (issue 20). A place frees when an operator's dialog closes, an
 * answer stops it counting (answer-exclusion), or an unavailable member comes back. The portal
 * sends none of these to an app that is not the line's connector (OnSessionFinish and
 * OnOpenLineMessageAdd are the connector's; timeman has no events), so while a portal has
 * waiting dialogs this reads, every ~2 s and in ONE batch request, exactly what could free a
 * place for them: the dialogs of operators at their limit on lines with waiting dialogs (and the
 * history of those an answer would stop counting), and the availability of those lines'
 * unavailable members. What freed a place drains its line at once. Nothing waits → nothing sent.
 */
export class FreedWatch {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    private readonly svc: OpenLinesService,
    private readonly portals: () => Promise<string[]>,
  ) {}

  start(intervalMs: number): void {
    if (this.timer || intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tickAll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One tick over every portal; a tick still going makes the next one wait its turn, not pile up. */
  async tickAll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // Listing the portals reads the store; a failure there must not become an unhandled
      // rejection of the interval's tick (it would stop the process), only a skipped tick.
      const portals = await this.portals().catch((err: Error) => {
        this.svc.d.log.warn(
          { err: err.message },
          'freed-place watch could not list portals; sync catches up',
        );
        return [] as string[];
      });
      for (const memberId of portals) {
        try {
          // Polling in place of events the portal does not send: after every read an event needs,
          // before the jobs (rest-priority.ts, 'watch').
          await withRestClass('watch', () => this.tick(memberId));
        } catch (err) {
          this.svc.d.log.warn(
            { memberId, err: (err as Error).message },
            'freed-place watch failed; sync catches up',
          );
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** One portal's tick (tests drive it directly). */
  async tick(memberId: string): Promise<WatchTickResult> {
    const d = this.svc.d;
    const out: WatchTickResult = { commands: 0, closed: 0, answered: 0, returned: 0 };
    const lineIds = await d.dialogs.linesWithWaiting(memberId);
    if (lineIds.length === 0) return out;
    const client = await d.clients.get(memberId);
    const now = d.clock();
    const opSettings = await d.settings.operators(memberId);

    // Who is full and who is away, on the lines where something waits.
    const full = new Set<number>();
    const away = new Map<number, number[]>();
    const answerFrees = new Map<number, boolean>();
    for (const lineId of lineIds) {
      const idx = await d.indexes.get(memberId, lineId, client);
      if (!idx) continue;
      const c = idx.rules.capacity.counts;
      answerFrees.set(lineId, c !== 'all_open');
      for (const m of membersById(idx.rules).values()) {
        const why = eligibility(idx.dispatcher.stateOf(m.id), idx.rules, m, now);
        if (why === 'at_capacity') full.add(m.id);
        else if (why && why !== 'excluded' && why !== 'dismissed' && why !== 'unknown')
          away.set(m.id, [...(away.get(m.id) ?? []), lineId]);
      }
    }
    if (full.size === 0 && away.size === 0) return out;

    const plan = d.directory.refreshPlan(memberId, away.keys());
    const calls: Record<string, Call> = away.size > 0 ? { ...plan.calls } : {};
    const held = (await d.dialogs.open(memberId, ['assigned', 'portal']))
      .filter((r) => r.operatorId !== null && full.has(r.operatorId) && readDue(r, now))
      .sort((a, b) => (a.checkedAt ?? 0) - (b.checkedAt ?? 0) || a.id - b.id);
    const rows: DialogRow[] = [];
    const histories = new Set<DialogRow>();
    for (const row of held) {
      const wantsHistory = !row.answered && (answerFrees.get(row.lineId) ?? true);
      if (Object.keys(calls).length + (wantsHistory ? 2 : 1) > WATCH_COMMANDS) break;
      calls[`dlg${row.id}`] = ['imopenlines.dialog.get', { CHAT_ID: row.chatId }];
      if (wantsHistory) {
        calls[`h${row.id}`] = ['imopenlines.session.history.get', { SESSION_ID: row.sessionId }];
        histories.add(row);
      }
      rows.push(row);
    }
    out.commands = Object.keys(calls).length;
    if (out.commands === 0) return out;
    const res = await client.batch(calls);

    const freedLines = new Set<number>();
    const refused: number[] = [];
    const readAgain: number[] = [];
    for (const row of rows) {
      const e = res.errors[`dlg${row.id}`];
      // Not found or no access: unknown, never "over" (unreadable.ts).
      if (e && dialogUnreadable(e.error)) refused.push(row.id);
      const f = e ? null : parseDialog(res.results[`dlg${row.id}`]);
      if (f === null) continue;
      if (row.unreadableSince !== null) readAgain.push(row.id);
      const over = f.ownerId === 0 || (f.sessionId !== null && f.sessionId !== row.sessionId);
      if (over) {
        out.closed++;
        await this.svc.outcomes.close(row, now); // refreshes the loads and drains the line
        continue;
      }
      if (!histories.has(row) || f.ownerId !== row.operatorId) continue;
      const raw = res.results[`h${row.id}`];
      if (!raw) continue;
      const h = parseHistory(raw, row.assignedAt);
      if (!h.answeredSince) continue;
      const upd = await d.dialogs.update(row, answeredPatch(row, h), now);
      if (!upd) continue;
      out.answered++;
      await d.indexes.refreshLoads(memberId, row.lineId);
      freedLines.add(row.lineId);
    }

    if (away.size > 0) {
      plan.ingest(res);
      const infos = d.directory.peek(memberId, away.keys());
      for (const [id, lines] of away) {
        const st = toOperatorState(infos.get(id), { settings: opSettings[String(id)] });
        if (!st) continue;
        for (const lineId of lines) {
          const rules = d.indexes.peek(memberId, lineId)?.rules;
          if (rules && availabilityOf(st, rules, now) === null) {
            out.returned++;
            d.indexes.invalidate(memberId, lineId);
            freedLines.add(lineId);
          }
        }
      }
    }
    await d.dialogs.markUnreadable(refused, now);
    await d.dialogs.markChecked(readAgain, now);
    for (const lineId of freedLines) this.svc.queue.kickDrain(memberId, lineId);
    return out;
  }
}
