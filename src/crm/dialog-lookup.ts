/**
 * What the lead handler asks of the open-lines part: whether the app already gave the dialog
 * a lead came from to an operator. The open-lines feature provides it as `ctx.services.dialogs`
 * (its register knows each dialog's USER_CODE, the chat's entity_id). Until it does, no lead
 * counts as coming from an assigned dialog.
 */
export interface DialogLookup {
  /** The operator the app assigned the dialog with this USER_CODE to; null if it has not. */
  assignedOperator(memberId: string, userCode: string): Promise<number | null>;
}

export function dialogLookupOf(services: Record<string, unknown>): DialogLookup | null {
  const d = services.dialogs as Partial<DialogLookup> | undefined;
  return d && typeof d.assignedOperator === 'function' ? (d as DialogLookup) : null;
}
