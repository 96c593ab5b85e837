import type { PortalClient } from '../portal/client.ts';

/*
 * How the parts that see an owner change (open lines: a move confirmed, a transfer found by the
 * sync; CRM: a responsible changed on the portal) tell the one-owner policy, and how the policy
 * asks open lines to move a chat. Types only, importing no part that reports to it, so every side can name them
 * without an import circle; the services are found in ctx.services at run time.
 */

/** Why a chat's operator changed. */
export type ChatCause =
  | 'assign'
  | 'pass_on'
  | 'return'
  | 'reclaim'
  | 'portal_queue'
  | 'follow'
  | 'handover'
  /** a person moved it in Bitrix24 (found by the sync) */
  | 'transfer';

/** A chat's operator changed (the move is done on the portal). */
export interface ChatChange {
  memberId: string;
  chatId: number;
  lineId: number;
  /** the dialog's CRM bindings as the register knows them (entity_data_2) */
  crm: { LEAD: number; COMPANY: number; CONTACT: number; DEAL: number } | null;
  from: number | null;
  to: number;
  cause: ChatCause;
  byPerson: boolean;
  /** unix ms */
  at: number;
}

/** A lead's or deal's responsible changed on the portal, not by the app. */
export interface CrmChange {
  memberId: string;
  entity: 'lead' | 'deal';
  id: number;
  from: number | null;
  to: number;
  /** the event carried a person's tokens (an automation's carries none) */
  byPerson: boolean;
  /** who, as crm.item.get `updatedBy` says; null = not known */
  by: number | null;
  /** the portal's updatedTime, unix ms (the app's clock when the portal gave none) */
  at: number;
  /** a lead's open-line identity (USER_CODE), to find its chat */
  userCode: string | null;
}

/** What the one-owner policy offers the other parts (ctx.services.owner). */
export interface OwnerHooks {
  chatChanged(c: ChatChange): Promise<void>;
  crmChanged(c: CrmChange): Promise<void>;
  /** whether a change of this lead or deal matters (the policy is on and an open chat is linked to it) */
  watches(memberId: string, entity: 'lead' | 'deal', id: number): Promise<boolean>;
  /** until every change reported so far has been followed (tests, shutdown) */
  idle(): Promise<void>;
  /** the sync job's step: follows whose answer was lost are read back and finished */
  recover(memberId: string, client: PortalClient, now: number): Promise<{ finished: number }>;
}

/** What the one-owner policy needs from open lines (ctx.services.openlines). */
export interface ChatMover {
  /**
   * Moves the open dialog of `chatId` to `operatorId`, recorded before it is sent like every
   * move; `reason` is logged with it. Resolves once the move is recorded (not necessarily sent).
   */
  moveChat(
    memberId: string,
    chatId: number,
    operatorId: number,
    o: { logAction: 'follow' | 'handover'; reason: unknown },
  ): Promise<'recorded' | 'already' | 'not_open'>;
}

export function ownerHooksOf(services: Record<string, unknown>): OwnerHooks | null {
  const o = services.owner as Partial<OwnerHooks> | undefined;
  return o && typeof o.chatChanged === 'function' && typeof o.crmChanged === 'function'
    ? (o as OwnerHooks)
    : null;
}

export function chatMoverOf(services: Record<string, unknown>): ChatMover | null {
  const o = services.openlines as Partial<ChatMover> | undefined;
  return o && typeof o.moveChat === 'function' ? (o as ChatMover) : null;
}
