import type { DialogRow } from '../db/repositories/dialogs.ts';
import type { LoadCounting } from '../engine/index.ts';
import { readDue } from './unreadable.ts';

/**
 * Which open dialogs the sync job reads from the portal this run, so that its cost follows what
 * can have changed, not how many dialogs wait (issue 20: a sync with 400 waiting dialogs costs
 * what one with 4 costs).
 *
 * Why each kind of row still needs reading at all:
 * - assigned, counting toward a limit (or unanswered on a line without pass-on): whether it was
 *   answered, who wrote last or whether it closed changes the operator's counted load, and no event
 *   tells an app that is not the line's connector (OnSessionFinish is the connector's only).
 *   These are bounded by the operators' limits, not by the backlog, and are read every run.
 * - assigned, held by a portal operator (the portal's queue or a person gave it): same, its close
 *   frees a place.
 * - waiting (held by the app's bot): the bot sees every message in its chat, but not the client
 *   leaving, a person taking the dialog, or the portal's queue taking it after WELCOME_BOT_TIME.
 *   A new one is read once at the first sync after it arrived (that costs per arrival, i.e. per
 *   change); after that those changes are rare and harmless to learn late (a transfer of a dialog
 *   the bot no longer holds is refused and read back), so waiting rows are read on a sweep.
 * - waiting unowned in the portal's queue ('portal' without an operator): the portal deals with
 *   it; the register only follows it until someone takes it (load) or it closes. Sweep.
 * - answered assigned rows whose state decides nothing: to keep the register true. Slow sweep.
 *
 * Sweeps go oldest check first with a fixed number per run, so a backlog is walked through over
 * several runs instead of all at once every minute.
 */

export interface ReadLine {
  counting: LoadCounting | null;
  passOn: boolean;
}

/** How often rows in each sweep are read, at most. */
export const SWEEP_WAITING_MS = 2 * 60_000;
export const SWEEP_ANSWERED_MS = 10 * 60_000;
/** Sweep reads per run, whatever the backlog: with the must-reads and the lines, one batch request. */
export const SWEEP_PER_RUN = 20;
/** Must-reads per run (bounded by operators' limits anyway; this only guards unlimited lines). */
export const MUST_PER_RUN = 100;

export type ReadWhy = 'load' | 'new' | 'sweep';

/** The rows to read this run, each with why. */
export function chooseReads(
  open: readonly DialogRow[],
  lines: ReadonlyMap<number, ReadLine>,
  now: number,
  caps: { sweep?: number; must?: number } = {},
): Map<DialogRow, ReadWhy> {
  const must: DialogRow[] = [];
  const first: DialogRow[] = [];
  const sweep: { row: DialogRow; since: number }[] = [];
  for (const row of open) {
    // The portal refused to show it: read again only after its pause (unreadable.ts).
    if (!readDue(row, now)) continue;
    const line = lines.get(row.lineId);
    const since = row.checkedAt ?? row.assignedAt ?? row.arrivedAt;
    const held = (row.state === 'assigned' || row.state === 'portal') && row.operatorId !== null;
    if (held && line && decidesLoad(row, line)) {
      must.push(row);
      continue;
    }
    // A line the register does not know (yet): read, as the sync always did.
    if (!line && held) {
      must.push(row);
      continue;
    }
    if (!held && row.checkedAt === null) {
      first.push(row);
      continue;
    }
    const every = held ? SWEEP_ANSWERED_MS : SWEEP_WAITING_MS;
    if (now - since >= every) sweep.push({ row, since });
  }
  const out = new Map<DialogRow, ReadWhy>();
  const byOldestCheck = (a: DialogRow, b: DialogRow) =>
    (a.checkedAt ?? 0) - (b.checkedAt ?? 0) || a.id - b.id;
  for (const row of must.sort(byOldestCheck).slice(0, caps.must ?? MUST_PER_RUN)) out.set(row, 'load');
  for (const row of first.slice(0, caps.must ?? MUST_PER_RUN)) out.set(row, 'new');
  sweep.sort((a, b) => a.since - b.since || a.row.id - b.row.id);
  for (const s of sweep.slice(0, caps.sweep ?? SWEEP_PER_RUN)) out.set(s.row, 'sweep');
  return out;
}

/** Whether what the portal holds about this held dialog changes the operator's counted load. */
function decidesLoad(row: DialogRow, line: ReadLine): boolean {
  const counts = line.counting !== null && (!row.answered || line.counting !== 'not_yet_answered');
  if (counts) return true;
  // Unanswered, and no pass-on job watches it: the answer is only learnt here.
  return !row.answered && !line.passOn;
}
