import { noneSkipped } from './flow.ts';
import type { AssignedDialog, DialogCase, UnavailableOutcome, UnavailableWhy } from './types.ts';

/**
 * What happens to one open dialog of an operator who became unavailable (the portal's rules):
 * not yet accepted → back to distribution; the operator wrote last and waits for the client →
 * stays; the client wrote and the operator never answered → back; otherwise the dialog was
 * accepted and answered, so it stays with its context even though the operator went offline.
 * Dismissed operators and operators taken out of the queue (`cause`) give everything back.
 */
export function onOperatorUnavailable(
  dialog: AssignedDialog,
  cause?: UnavailableWhy | 'left_queue',
): UnavailableOutcome {
  const outcome = (action: UnavailableOutcome['action'], c: DialogCase): UnavailableOutcome => ({
    dialogId: dialog.id,
    action,
    reason: { rule: action, operatorId: dialog.operatorId, skipped: noneSkipped(), dialog: c },
  });
  if (cause === 'dismissed' || cause === 'left_queue') return outcome('redistribute', 'departed');
  if (!dialog.accepted && !dialog.operatorAnswered) return outcome('redistribute', 'not_accepted');
  if (dialog.lastMessageFrom === 'operator') return outcome('stay', 'waiting_client');
  if (dialog.lastMessageFrom === 'client' && !dialog.operatorAnswered) {
    return outcome('redistribute', 'client_unanswered');
  }
  return outcome('stay', 'accepted');
}
