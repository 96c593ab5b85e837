// The dialog register's row shapes (the repository in dialogs.ts maps them to and from SQL).
export type DialogState = 'waiting' | 'transferring' | 'assigned' | 'portal' | 'closed';
export type DialogHolder = 'bot' | 'operator' | 'none';

/** CRM bindings of a dialog (entity_data_2); 0 = none. */
export interface CrmIds {
  LEAD: number;
  COMPANY: number;
  CONTACT: number;
  DEAL: number;
}

/** A decision recorded before the portal is asked to carry it out (state 'transferring'). */
export interface PendingMove {
  /** the REST method that carries it out */
  method:
    | 'imopenlines.bot.session.transfer'
    | 'imopenlines.operator.transfer'
    | 'imopenlines.bot.session.operator';
  /** the operator it goes to; null = the line's own queue */
  targetId: number | null;
  /** who held it before (pass-on, return) */
  fromId: number | null;
  logAction: 'assign' | 'pass_on' | 'return' | 'reclaim' | 'portal_queue' | 'follow' | 'handover';
  /** the engine's reason */
  reason: unknown;
  stamp: number | null;
  round?: number[];
  decidedAt: number;
  /** sends that may have reached the portal: after the first, the portal is read before another */
  attempts: number;
  /** the process (cluster/instance.ts) that recorded or last sent it; another takes over only once it is dead */
  owner?: string;
  /** when it was last sent (unix ms) */
  sentAt?: number | null;
}

export interface DialogRow {
  id: number;
  memberId: string;
  chatId: number;
  sessionId: number;
  lineId: number;
  userCode: string;
  crm: CrmIds | null;
  state: DialogState;
  holder: DialogHolder;
  operatorId: number | null;
  pending: PendingMove | null;
  answered: boolean;
  lastFrom: 'client' | 'operator' | null;
  lastMessageId: number;
  priority: number;
  round: number[];
  arrivedAt: number;
  assignedAt: number | null;
  passOnAt: number | null;
  firstAssignedAt: number | null;
  eventId: number | null;
  checkedAt: number | null;
  /** since when every read was refused (ACCESS_ERROR: not found or no access); null = readable */
  unreadableSince: number | null;
  /** refused reads in a row (the pause before the next read grows with it) */
  unreadableChecks: number;
  version: number;
  updatedAt: number;
  closedAt: number | null;
}

export interface NewDialog {
  memberId: string;
  chatId: number;
  sessionId: number;
  lineId: number;
  userCode: string;
  crm: CrmIds | null;
  arrivedAt: number;
  eventId: number | null;
  priority?: number;
  /** a decision made before the row existed: it is written with it ('transferring') */
  pending?: PendingMove | null;
  now: number;
}

/** The fields a move may change; the rest stay. */
export type DialogPatch = Partial<
  Pick<
    DialogRow,
    | 'state'
    | 'holder'
    | 'operatorId'
    | 'pending'
    | 'answered'
    | 'lastFrom'
    | 'lastMessageId'
    | 'round'
    | 'assignedAt'
    | 'passOnAt'
    | 'firstAssignedAt'
    | 'closedAt'
    | 'crm'
    | 'sessionId'
    | 'lineId'
  >
>;
