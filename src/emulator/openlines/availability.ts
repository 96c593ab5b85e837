import {
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
  if (!u.absentUntil) return false;
  const end = Date.parse(u.absentUntil);
  if (Number.isNaN(end)) return false;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(u.absentUntil);
  return now < (dateOnly ? end + 24 * 3600_000 : end);
}

/** How many dialogs of this line count against the operator's MAX_CHAT under TYPE_MAX_CHAT. */
export function operatorLoad(
  state: PortalState,
  line: EmuLine,
  userId: number,
  now: number,
  tzOffsetMin: number,
): number {
  const type = configString(line.config, 'TYPE_MAX_CHAT', 'answered_new');
  const today = startOfLocalDay(now, tzOffsetMin);
  let n = 0;
  for (const s of state.sessions.values()) {
    if (s.lineId !== line.id || s.operatorId !== userId) continue;
    if (type === 'answered' && s.status === 'answered') n++;
    else if (type === 'answered_new' && (s.status === 'answered' || s.status === 'assigned')) n++;
    else if (type === 'closed' && (s.status !== 'closed' || (s.closedAt ?? 0) >= today)) n++;
  }
  return n;
}

/** The native queue's availability test for one operator on one line. */
export function isAvailable(
  state: PortalState,
  line: EmuLine,
  u: EmuUser,
  now: number,
  tzOffsetMin: number,
): boolean {
  if (!u.active) return false;
  if (configString(line.config, 'CHECK_AVAILABLE', 'Y') === 'Y') {
    if (isAbsent(u, now)) return false;
    if (NATIVE_AVAILABILITY_NEEDS_ONLINE && !u.online) return false;
    if (u.timeman !== 'OPENED') return false;
  }
  const max = configNumber(line.config, 'MAX_CHAT', 0);
  if (max > 0 || !MAX_CHAT_ZERO_IS_UNLIMITED) {
    if (operatorLoad(state, line, u.id, now, tzOffsetMin) >= max) return false;
  }
  return true;
}
