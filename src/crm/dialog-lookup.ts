/**
 * What the lead handler asks of the open-lines part: whether the app already gave the dialog
 * a lead came from to an operator. Its register knows each dialog's USER_CODE (the chat's
 * entity_id); it answers through `ctx.services.openlines` (or a separate `ctx.services.dialogs`)
 * with this method. Until one of them has it, no lead counts as coming from an assigned dialog.
 */
export interface DialogLookup {
  /** The operator the app assigned the open dialog with this USER_CODE to; null if it has not. */
  assignedOperator(memberId: string, userCode: string): Promise<number | null>;
  /**
   * Where the client's latest dialog stands: being placed (waiting or on its way to the line's
   * queue), placed (assigned, with the portal, or closed), or not known yet (its event has not
   * arrived: an open line creates the lead just before the dialog reaches the app).
   */
  dialogState?(memberId: string, userCode: string): Promise<'placing' | 'placed' | 'unknown'>;
}

export function dialogLookupOf(services: Record<string, unknown>): DialogLookup | null {
  for (const name of ['dialogs', 'openlines']) {
    const d = services[name] as Partial<DialogLookup> | undefined;
    if (d && typeof d.assignedOperator === 'function') {
      return {
        assignedOperator: (m, code) => d.assignedOperator!.call(d, m, code),
        ...(typeof d.dialogState === 'function'
          ? { dialogState: (m, code) => d.dialogState!.call(d, m, code) }
          : {}),
      };
    }
  }
  return null;
}
