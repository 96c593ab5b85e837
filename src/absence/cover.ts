import type { CrmLink } from '../engine/index.ts';
import type { OperatorStateSettings } from '../operators/state.ts';
import type { HandoverTo } from '../settings/absences.ts';

/*
 * Who stands in for whom during an absence. Pure over what the deciding code already holds:
 * the directory's entries (the portal's im `absent`) and the operators' settings (absences
 * entered in the app, each person's deputy).
 */

export interface Cover {
  absentId: number;
  /** when the absence ends; null = not known */
  until: number | null;
}

/** The absence the operator is on now, if any: the portal's, or one entered in the app. */
export function absenceNow(
  info: { absentUntil?: number | null } | undefined,
  s: Pick<OperatorStateSettings, 'absences'> | undefined,
  now: number,
): { until: number | null } | null {
  let until: number | null = null;
  let away = false;
  if (info?.absentUntil != null && now < info.absentUntil) {
    away = true;
    until = info.absentUntil;
  }
  for (const a of s?.absences ?? []) {
    if (a.from <= now && now < a.to) {
      away = true;
      until = Math.max(until ?? 0, a.to);
    }
  }
  return away ? { until } : null;
}

/** Who covers for `absentId` at `now`: the deputy of the absence entered for now, else their usual one. */
export function deputyOf(
  absentId: number,
  settings: Record<string, OperatorStateSettings>,
  now: number,
): number | null {
  const own = settings[String(absentId)];
  const current = own?.absences?.find((a) => a.from <= now && now < a.to);
  const deputy = current?.deputyId ?? own?.deputyId ?? null;
  return deputy !== absentId ? deputy : null;
}

/** Every deputy the links' responsibles have (read with them, so a substitute's state is known). */
export function deputiesOf(ids: Iterable<number>, settings: Record<string, OperatorStateSettings>): number[] {
  const out = new Set<number>();
  for (const id of ids) {
    const s = settings[String(id)];
    if (s?.deputyId) out.add(s.deputyId);
    for (const a of s?.absences ?? []) if (a.deputyId) out.add(a.deputyId);
  }
  return [...out];
}

/**
 * "During the absence the deputy gets what the absent person would have got": a link whose
 * responsible is away names their deputy instead (rule `deputy`); under `distribution`, or
 * with no deputy, the link stays and the queue's availability check passes over the absent
 * person as it does today. Returns the links to give the engine and, per deputy, whom they cover.
 */
export function coverLinks(
  links: readonly CrmLink[],
  rule: HandoverTo | null,
  infos: ReadonlyMap<number, { absentUntil?: number | null }>,
  settings: Record<string, OperatorStateSettings>,
  now: number,
): { links: CrmLink[]; covers: Map<number, Cover> } {
  const covers = new Map<number, Cover>();
  if (rule !== 'deputy') return { links: [...links], covers };
  const out = links.map((l) => {
    const away = absenceNow(infos.get(l.responsibleId), settings[String(l.responsibleId)], now);
    if (!away) return l;
    const deputy = deputyOf(l.responsibleId, settings, now);
    if (deputy === null) return l;
    covers.set(deputy, { absentId: l.responsibleId, until: away.until });
    return { ...l, responsibleId: deputy };
  });
  return { links: out, covers };
}
