// The first-touch tables' row shapes (migrations 080, 100): the leads' watches (first-touch.ts)
// and the breaches and notices of leads and chats (openlines/first-message.ts).
import type { LogEntry } from './assignment-log.ts';

export type WatchState = 'watching' | 'touched' | 'escalated' | 'ended';

/** One lead under a first-touch deadline (migration 080). */
export interface WatchRow {
  memberId: string;
  kind: 'lead';
  objectId: string;
  queueId: string | null;
  holderId: number;
  /** everyone who held it under this watch, the pass-on round */
  holders: number[];
  statusId: string | null;
  arrivedAt: number;
  assignedAt: number;
  deadlineAt: number | null;
  breaches: number;
  state: WatchState;
  touchedAt: number | null;
  touchedBy: number | null;
  touch: string | null;
}

/** A lead the app placed and nobody watches yet. */
export interface Unwatched {
  leadId: number;
  queueId: string | null;
  operatorId: number;
  statusId: string | null;
  decidedAt: number;
  receivedAt: number | null;
}

export interface Notice {
  userId: number;
  role: 'holder' | 'new_holder' | 'previous' | 'supervisor';
  tag: string;
  message: string;
}

export interface NoticeRow extends Notice {
  objectId: string;
  breachNo: number;
  attempts: number;
}

/** A missed deadline and everything it leads to, recorded in one commit before any write. */
export interface BreachRecord {
  memberId: string;
  objectId: string;
  breachNo: number;
  queueId: string | null;
  holderId: number;
  action: 'reassign' | 'notify';
  newHolderId: number | null;
  supervisorId: number | null;
  waitedMs: number;
  dueAt: number;
  at: number;
  /** the watch after it: the new holder's clock, or the same holder's next deadline */
  watch: Pick<WatchRow, 'holderId' | 'holders' | 'assignedAt' | 'deadlineAt' | 'state'>;
  notices: Notice[];
  log: LogEntry;
  /** reassign: the lead's new decision (the lead register row goes back to 'decided') */
  lead?: { reason: unknown; comment: string };
}

export interface BreachRow {
  memberId: string;
  objectId: string;
  breachNo: number;
  queueId: string | null;
  holderId: number;
  action: 'reassign' | 'notify';
  newHolderId: number | null;
  supervisorId: number | null;
  waitedMs: number;
  dueAt: number;
  at: number;
  written: boolean;
}
