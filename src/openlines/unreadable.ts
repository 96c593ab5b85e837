import type { DialogRow } from '../db/repositories/dialogs.ts';

/*
 * A dialog the portal will not show. imopenlines.dialog.get answers ACCESS_ERROR, "You do not
 * have access to the specified dialog", for "Dialog not found or no access to it"
 * (imopenlines/openlines/sessions/imopenlines-dialog-get.md); session.history.get's ACCESS_DENIED
 * is as ambiguous ("Insufficient rights to view history, session not found or unavailable"). So
 * the answer says nothing about whether the dialog is over, and the app never closes or forgets
 * a dialog on it alone. What happens instead:
 * - the row is marked unreadable (since when, how many refusals in a row) and otherwise stays as
 *   it was: still open, still counting toward its operator's load (counting a dialog that may be
 *   over can only leave a place unused, never give anyone more than their limit);
 * - it is read again after a pause that doubles with each refusal, from one minute up to six
 *   hours, so a portal that refuses for good costs a handful of reads a day, not one a minute;
 * - the dashboard lists unreadable dialogs (chat, line, since when) for an administrator, who can
 *   restore the app's access or close the dialog in Bitrix24;
 * - it ends when a read works again (the mark is cleared and the row follows what the portal
 *   shows), when the chat's next session joins the bot (an earlier session of the chat is over),
 *   or when the idle-close job closes it through the portal.
 */

export const UNREADABLE_FIRST_PAUSE_MS = 60_000;
export const UNREADABLE_MAX_PAUSE_MS = 6 * 3600_000;

/** The pause before reading a dialog again after `checks` refusals in a row. */
export function unreadablePause(checks: number): number {
  if (checks <= 0) return 0;
  return Math.min(UNREADABLE_MAX_PAUSE_MS, UNREADABLE_FIRST_PAUSE_MS * 2 ** Math.min(checks - 1, 20));
}

/** Whether a row may be read from the portal now (readable rows always; unreadable ones after their pause). */
export function readDue(
  row: Pick<DialogRow, 'unreadableSince' | 'unreadableChecks' | 'checkedAt'>,
  now: number,
): boolean {
  if (row.unreadableSince === null) return true;
  return now >= (row.checkedAt ?? row.unreadableSince) + unreadablePause(row.unreadableChecks);
}
