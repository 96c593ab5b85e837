import type { OwnerMark } from '../db/repositories/owner.ts';
import type { OwnerPolicy } from '../settings/owner.ts';

/*
 * The one-owner policy's rules, pure. Who is whose is decided here; follow-crm.ts and
 * follow-chat.ts read the facts, record what these say, and write it to the portal.
 */

export type FollowWhy =
  /** the policy is off */
  | 'off'
  /** a person changed one side: the other follows */
  | 'person'
  /** the chat leads: the app's move of the chat takes the CRM owner along */
  | 'chat_leads'
  /** the CRM record leads: its responsible takes the chat along; the app's chat moves do not move it */
  | 'crm_leads'
  /** a person changed the other side later: theirs wins */
  | 'later_person_change';

export interface Verdict {
  follow: boolean;
  why: FollowWhy;
}

const yes = (why: FollowWhy): Verdict => ({ follow: true, why });
const no = (why: FollowWhy): Verdict => ({ follow: false, why });

/**
 * Whether the CRM side (lead, deal, contact) follows a change of the chat's operator. A
 * person's transfer is followed under either policy, unless a person changed the CRM side
 * later; the app's own moves only where the chat leads.
 */
export function crmFollowsChat(
  policy: OwnerPolicy,
  change: { byPerson: boolean; at: number },
  mark: OwnerMark | undefined,
): Verdict {
  if (policy === 'off') return no('off');
  if (change.byPerson) {
    if (mark && mark.side === 'crm' && mark.at > change.at) return no('later_person_change');
    return yes('person');
  }
  if (policy === 'crm') return no('crm_leads');
  return yes('chat_leads');
}

/**
 * Whether the chat follows a change of its lead's or deal's responsible made outside the app.
 * A person's change is followed under either policy, unless a person moved the chat later; an
 * automation's (a robot, a workflow: no person's tokens) only where the CRM record leads.
 */
export function chatFollowsCrm(
  policy: OwnerPolicy,
  change: { byPerson: boolean; at: number },
  mark: OwnerMark | undefined,
): Verdict {
  if (policy === 'off') return no('off');
  if (!change.byPerson && policy === 'chat') return no('chat_leads');
  if (mark && mark.side === 'chat' && mark.at > change.at) return no('later_person_change');
  return yes(change.byPerson ? 'person' : 'crm_leads');
}

export type ItemWhy = 'follow' | 'already' | 'person_choice_stands';

/**
 * One CRM item under a verdict to follow: already with the new operator; or, after the app's
 * own move of the chat, left where a person put it (it was not with the chat's previous
 * operator and a person chose its responsible) — no fight with a person's explicit choice.
 */
export function itemFollows(
  change: { byPerson: boolean; from: number | null; to: number },
  holder: number,
  chosenByPerson: boolean,
): ItemWhy {
  if (holder === change.to) return 'already';
  if (change.byPerson) return 'follow';
  if (chosenByPerson && holder !== change.from) return 'person_choice_stands';
  return 'follow';
}
