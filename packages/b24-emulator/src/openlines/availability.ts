import {
  ABSENCE_DATE_COVERS_WHOLE_DAY,
  DEPARTMENT_QUEUE_INCLUDES_SUBDEPARTMENTS,
  MAX_CHAT_ZERO_IS_UNLIMITED,
  NATIVE_AVAILABILITY_NEEDS_ONLINE,
} from '../assumptions.ts';
import { startOfLocalDay } from '../dates.ts';
import type { EmuLine, EmuUser, PortalState } from '../model.ts';
import { configNumber, configString } from './line-config.ts';

export interface QueueMember {
  userId: number;
  /** the department entry that brought the user in, 0 for a user entry */
  departmentId: number;
}

function departmentTree(state: PortalState, rootId: number): number[] {
  const ids = [rootId];
  if (!DEPARTMENT_QUEUE_INCLUDES_SUBDEPARTMENTS) return ids;
  for (let i = 0; i < ids.length; i++) {
    for (const d of state.departments.values())
      if (d.parent === ids[i] && !ids.includes(d.id)) ids.push(d.id);
  }
  return ids;
}

/** The line's queue expanded to users, in queue order, without duplicates. */
export function queueMembers(state: PortalState, line: EmuLine): QueueMember[] {
  const out: QueueMember[] = [];
  const seen = new Set<number>();
  for (const entry of line.queue) {
    if (entry.entityType === 'user') {
      if (state.users.has(entry.entityId) && !seen.has(entry.entityId)) {
        seen.add(entry.entityId);
        out.push({ userId: entry.entityId, departmentId: 0 });
      }
      continue;
    }
    const deps = departmentTree(state, entry.entityId);
    const users = [...state.users.values()]
      .filter((u) => u.active && u.departments.some((d) => deps.includes(d)))
      .sort((a, b) => a.id - b.id);
    for (const u of users) {
      if (seen.has(u.id)) continue;
      seen.add(u.id);
      out.push({ userId: u.id, departmentId: entry.entityId });
    }
  }
  return out;
}

/** Is the user away on an absence right now? `absentUntil` is a date (whole day) or a date-time. */
export function isAbsent(u: EmuUser, now: number): boolean {
  return absenceEnd(u, now) !== null;
}

/**
 * The end (unix ms) of the absence the user is on at `now`, or null: the absence chart's
 * entries that have started, and `absentUntil` (an absence that started already). Overlapping
 * entries end at the latest end. A past or future absence is not reported (ABSENT_ONLY_WHILE_AWAY).
 */
export function absenceEnd(u: EmuUser, now: number): number | null {
  let end: number | null = null;
  if (u.absentUntil) {
    const t = Date.parse(u.absentUntil);
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(u.absentUntil);
    const until = dateOnly && ABSENCE_DATE_COVERS_WHOLE_DAY ? t + 24 * 3600_000 : t;
    if (!Number.isNaN(t) && now < until) end = until;
  }
  for (const a of u.absences ?? []) if (a.from <= now && now < a.to) end = Math.max(end ?? 0, a.to);
  return end;
}

/** Per operator: how many dialogs of this line count against MAX_CHAT under TYPE_MAX_CHAT. */
export function operatorLoads(
  state: PortalState,
  line: EmuLine,
  now: number,
  tzOffsetMin: number,
): Map<number, number> {
  const type = configString(line.config, 'TYPE_MAX_CHAT', 'answered_new');
  const today = startOfLocalDay(now, tzOffsetMin);
  const loads = new Map<number, number>();
  for (const s of state.sessions.values()) {
    if (s.lineId !== line.id || !s.operatorId) continue;
    const counts =
      (type === 'answered' && s.status === 'answered') ||
      (type === 'answered_new' && (s.status === 'answered' || s.status === 'assigned')) ||
      (type === 'closed' && (s.status !== 'closed' || (s.closedAt ?? 0) >= today));
    if (counts) loads.set(s.operatorId, (loads.get(s.operatorId) ?? 0) + 1);
  }
  return loads;
}

/** The native queue's availability test for one operator on one line. */
export function isAvailable(line: EmuLine, u: EmuUser, now: number, loads: Map<number, number>): boolean {
  if (!u.active) return false;
  if (configString(line.config, 'CHECK_AVAILABLE', 'Y') === 'Y') {
    if (isAbsent(u, now)) return false;
    if (NATIVE_AVAILABILITY_NEEDS_ONLINE && !u.online) return false;
    if (u.timeman !== 'OPENED') return false;
  }
  const max = configNumber(line.config, 'MAX_CHAT', 0);
  if (max > 0 || !MAX_CHAT_ZERO_IS_UNLIMITED) {
    if ((loads.get(u.id) ?? 0) >= max) return false;
  }
  return true;
}
