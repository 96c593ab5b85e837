import type { WatchRow } from '../../db/repositories/first-touch.ts';
import type { TouchFacts } from './read.ts';

/** What the read means for one due watch. Pure. */
export type Verdict =
  /** not on the portal any more (deleted, or out of the app's sight) */
  | { kind: 'gone' }
  /** closed or converted by someone else: nothing left to touch */
  | { kind: 'closed' }
  /** a person gave it to someone else: their clock starts now */
  | { kind: 'moved'; holderId: number }
  /** the holder made contact (possibly after the deadline, before this check saw it) */
  | { kind: 'touched'; at: number; touch: string }
  /** the activity read was cut short and found nothing for it: decide on the next run */
  | { kind: 'unknown' }
  | { kind: 'breach' };

export function judge(
  w: WatchRow,
  f: TouchFacts | undefined,
  o: { now: number; openStatuses: readonly string[]; stageChangeCounts: boolean },
): Verdict {
  if (!f) return { kind: 'gone' };
  if (f.holderId !== w.holderId) return { kind: 'moved', holderId: f.holderId };
  const from = Math.floor(w.assignedAt / 1000) * 1000;
  const touches: { at: number; touch: string }[] = [];
  if (f.activity) touches.push({ at: f.activity.at, touch: `activity:${f.activity.typeId}` });
  // A stage the holder set since they got it (closing or converting it counts too).
  if (
    o.stageChangeCounts &&
    f.movedBy === w.holderId &&
    f.movedTime !== null &&
    f.movedTime >= from &&
    f.statusId !== (w.statusId ?? '')
  ) {
    touches.push({ at: f.movedTime, touch: 'stage' });
  }
  if (touches.length > 0) {
    const first = touches.reduce((a, b) => (b.at < a.at ? b : a));
    return { kind: 'touched', at: first.at, touch: first.touch };
  }
  if (!o.openStatuses.includes(f.statusId)) return { kind: 'closed' };
  if (!f.activitiesComplete) return { kind: 'unknown' };
  if (w.deadlineAt === null || o.now < w.deadlineAt) return { kind: 'unknown' };
  return { kind: 'breach' };
}
