import { withRestClass } from '../portal/rest-priority.ts';
import type { LeadRow } from '../db/repositories/leads.ts';
import type { PortalClient } from '../portal/client.ts';
import { commandError, haltingBatch, isNotFound } from './batch.ts';
import { refOf } from './comment.ts';
import type { LeadLog } from './lead-log.ts';
import { type AddOutcome, ECHO_WINDOW_MS, kindOf, type LeadServiceDeps } from './lead-types.ts';

/**
 * The write half of placing a lead: a decision already in the register becomes the lead's
 * responsible and a timeline comment on the portal, exactly once even across a crash.
 */
export class LeadWriter {
  private readonly echoWindowMs: number;

  constructor(
    private readonly d: LeadServiceDeps,
    private readonly journal: LeadLog,
  ) {
    this.echoWindowMs = d.echoWindowMs ?? ECHO_WINDOW_MS;
  }

  /**
   * Writes a recorded decision: the responsible (only if it changes) and the comment, in one
   * batch that halts at a failed update, so the comment never announces an assignment that
   * did not happen. `recovering`: an earlier run may have written part of it before it stopped, so
   * the lead and its recent comments are read first and only what is missing is written.
   */
  async finish(row: LeadRow, client: PortalClient, recovering: boolean): Promise<AddOutcome> {
    const { memberId, leadId } = row;
    const kind = kindOf(this.d);
    const operatorId = row.operatorId!;
    let updateDone = row.updateDone || row.previousId === operatorId;
    let commentId = row.commentId;

    if (recovering && (!updateDone || commentId === null)) {
      const r = await client.batch({
        lead: ['crm.item.get', { entityTypeId: kind.entityTypeId, id: leadId }],
        ...(commentId === null
          ? {
              comments: [
                'crm.timeline.comment.list',
                { filter: { ENTITY_ID: leadId, ENTITY_TYPE: kind.timeline }, order: { ID: 'DESC' } },
              ],
            }
          : {}),
      });
      if (isNotFound(r.errors.lead)) {
        await this.d.leads.markGone(memberId, leadId, this.d.clock());
        return 'gone';
      }
      if (r.errors.lead) throw commandError('crm.item.get', r.errors.lead);
      const lead = kind.parse(r.results.lead);
      if (commentId === null) commentId = findComment(r.results.comments, row.comment);
      if (!updateDone && lead) {
        if (lead.assignedById === operatorId) updateDone = true;
        else if ((lead.assignedById || null) !== row.previousId) {
          // Someone gave it to another person before the app's write landed: theirs wins.
          await this.d.leads.observe(memberId, leadId, {
            holderId: lead.assignedById || null,
            statusId: lead.statusId || null,
            at: this.d.clock(),
          });
          await this.d.leads.setPhase(memberId, leadId, 'skipped', this.d.clock());
          await this.journal.log(row, 'skip', null, {
            rule: 'skip',
            detail: 'changed_before_write',
            operatorId: lead.assignedById,
          });
          return 'superseded';
        }
      }
      await this.d.leads.markWritten(memberId, leadId, { updateDone, commentId, at: this.d.clock() });
    }

    const writes: Record<string, [string, Record<string, unknown>]> = {};
    if (!updateDone) {
      writes.update = [
        'crm.item.update',
        { entityTypeId: kind.entityTypeId, id: leadId, fields: { assignedById: operatorId } },
      ];
    }
    if (commentId === null && row.comment) {
      writes.comment = [
        'crm.timeline.comment.add',
        {
          fields: {
            ENTITY_ID: leadId,
            ENTITY_TYPE: kind.timeline,
            COMMENT: row.comment,
          },
        },
      ];
    }
    if (Object.keys(writes).length > 0) {
      // Update first; halting on its failure keeps the comment from announcing an assignment that did not happen.
      const r = await withRestClass('write', () => haltingBatch(client, writes));
      const at = this.d.clock();
      const updated = !!writes.update && !r.errors.update && r.results.update !== undefined;
      const added = writes.comment && !r.errors.comment ? toId(r.results.comment) : null;
      await this.d.leads.markWritten(memberId, leadId, {
        updateDone: updateDone || updated,
        commentId: added,
        echoUntil: updated ? at + this.echoWindowMs : 0,
        at,
      });
      if (isNotFound(r.errors.update)) {
        await this.d.leads.markGone(memberId, leadId, at);
        return 'gone';
      }
      if (r.errors.update) {
        const err = commandError('crm.item.update', r.errors.update);
        if (!err.retryable) {
          // The portal refuses this assignment (e.g. the user cannot be responsible): the lead stays where it was.
          const kept = { ...row, holderId: row.previousId };
          await this.d.leads.observe(memberId, leadId, { holderId: row.previousId, statusId: null, at });
          await this.d.leads.setPhase(memberId, leadId, 'skipped', at);
          await this.journal.log(kept, 'skip', null, {
            rule: 'skip',
            detail: 'write_refused',
            error: err.b24Error,
            operatorId: row.previousId,
          });
        }
        throw err;
      }
      if (r.errors.comment) throw commandError('crm.timeline.comment.add', r.errors.comment);
    }
    await this.d.leads.setPhase(memberId, leadId, 'done', this.d.clock());
    await this.journal.logDone({ ...row, phase: 'done' });
    return 'assigned';
  }
}

/**
 * The id of this decision's comment among a crm.timeline.comment.list answer: the one that
 * carries its code (comment.ts, decisionRef), else (comments written before codes) the one
 * with exactly this text.
 */
function findComment(list: unknown, text: string | null): number | null {
  if (!text) return null;
  const rows = Array.isArray(list) ? list : list && typeof list === 'object' ? Object.values(list) : [];
  const ref = refOf(text);
  const hit = (rows as Record<string, unknown>[]).find((c) => {
    const written = String(c?.COMMENT ?? '');
    return ref ? written.includes(ref) : written === text;
  });
  return hit ? toId(hit.ID) : null;
}

function toId(v: unknown): number | null {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}
