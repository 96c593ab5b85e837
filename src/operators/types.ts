import type { WorkdayStatus } from '../engine/index.ts';

/** One staff member as the portal reports them, merged from user.get, timeman.status and im.user.list.get. */
export interface OperatorInfo {
  id: number;
  name: string;
  /** `user.get` ACTIVE; false = dismissed */
  active: boolean;
  /** `user.get` IS_ONLINE = Y (im `status` = online when user.get did not say) */
  online: boolean;
  /** `timeman.status` STATUS; null when the portal gives none for this user (no time tracking, no rights) */
  workday: WorkdayStatus | null;
  /** im `absent`: the end of the current absence, unix ms; null = not absent */
  absentUntil: number | null;
  /** `user.get` UF_DEPARTMENT */
  departments: number[];
  /** `user.get` TIME_ZONE (IANA); null when the user has none set */
  timeZone: string | null;
  /** when this entry was read from the portal, unix ms */
  fetchedAt: number;
}

export interface GetOptions {
  /** read from the portal even if the cached entry is still young */
  fresh?: boolean;
}
