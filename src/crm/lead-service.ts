import type { AssignmentLogRepository, LogAction } from '../db/repositories/assignment-log.ts';
import type { LeadRepository, LeadRow } from '../db/repositories/leads.ts';
import type { QueueStateRepository } from '../db/repositories/queue-state.ts';
import { type CrmLink, decide, type OpenLoad } from '../engine/index.ts';
import type { Logger } from '../log/logger.ts';
import { RetryLaterError } from '../errors.ts';
import { type OperatorDirectory, type OperatorInfo, toOperatorStates } from '../operators/index.ts';
import type { BatchResult, PortalClient } from '../portal/client.ts';
import type { LeadSettings } from '../settings/schema.ts';
import type { SettingsService } from '../settings/service.ts';
import { commandError, haltingBatch, isNotFound } from './batch.ts';
import { decisionRef, leadComment, portalLang, refOf, withRef } from './comment.ts';
import type { DialogLookup } from './dialog-lookup.ts';
import { KeyedLock } from './keyed-lock.ts';
import {
  clientMatches,
  LEAD,
  type LeadFacts,
  leadReadCommands,
  linkReadCommands,
  parseLead,
  parseLinks,
} from './lead-read.ts';
import { anyQueueFindsClient, type LeadQueue, leaveAloneWhy, queueFor } from './policy.ts';
import { withRestClass } from '../portal/rest-priority.ts';

export interface LeadServiceDeps {
  leads: LeadRepository;
  settings: SettingsService;
  queueState: QueueStateRepository;
  assignmentLog: AssignmentLogRepository;
  operators: OperatorDirectory;
  /** the portal's language (installation record) */
  language(memberId: string): Promise<string | undefined>;
  /** the open-lines part's dialog register, when loaded */
  dialogs(): DialogLookup | null;
  clock: () => number;
  log: Logger;
  /** how long after its own crm.item.update the app takes the next ONCRMLEADUPDATE for its echo */
  echoWindowMs?: number;
}

export type AddOutcome =
  | 'disabled'
  | 'already'
  | 'assigned'
  | 'waiting'
  | 'still_waiting'
  | 'skipped'
  | 'left'
  | 'gone'
  | 'superseded';

export type UpdateOutcome = 'disabled' | 'unknown' | 'own' | 'unchanged' | 'moved' | 'gone';

/** The echo of the app's own write arrives within seconds; two minutes leaves room for a slow event queue. */
export const ECHO_WINDOW_MS = 120_000;

/**
 * New CRM leads to operators. A lead is read (one batch), left alone if a person already
 * chose its responsible or it belongs to a dialog the app assigned, else placed by the engine
 * in its queue; the decision goes to the register first, then the responsible and a timeline
 * comment are written (one batch). A re-run after a crash finishes that same write.
 */
/** How long a lead from an open-line dialog waits for that dialog to be placed… */
export const DIALOG_GRACE_MS = 60_000;
/** …and for the dialog's event to arrive at all. */
export const DIALOG_ARRIVAL_MS = 10_000;

export class LeadService {
  private readonly lock = new KeyedLock();
  private readonly echoWindowMs: number;

  constructor(private readonly d: LeadServiceDeps) {
    this.echoWindowMs = d.echoWindowMs ?? ECHO_WINDOW_MS;
  }

  /** ONCRMLEADADD (online or from the offline queue). Idempotent: a lead is placed once. */
  async onAdd(
    memberId: string,
    leadId: number,
    client: ClientSource,
    receivedAt: number,
  ): Promise<AddOutcome> {
    const settings = await this.d.settings.leads(memberId);
    if (!settings.enabled) return 'disabled';
    const row = await this.d.leads.get(memberId, leadId);
    if (row?.phase === 'decided') return this.finish(row, await resolve(client), true);
    if (row && row.phase !== 'seen' && row.phase !== 'waiting') {
      if (row.phase === 'done' && !row.logged) await this.logDone(row);
      return 'already';
    }
    return this.place(memberId, leadId, await resolve(client), receivedAt, row, settings);
  }

  /**
   * ONCRMLEADUPDATE. The app's own write is recognised without a read (the first update
   * inside the echo window after it); any other update of a lead the register knows is read
   * once, and a new responsible or status is recorded (a person's reassignment moves the load,
   * it is not redistributed). Leads the app never saw are not its business.
   */
  async onUpdate(memberId: string, leadId: number, client: ClientSource): Promise<UpdateOutcome> {
    const settings = await this.d.settings.leads(memberId);
    if (!settings.enabled) return 'disabled';
    const row = await this.d.leads.get(memberId, leadId);
    // 'decided': the add handler is still writing (events of one lead run in order) or gave up.
    if (!row || row.phase === 'gone' || row.phase === 'decided') return 'unknown';
    if (await this.d.leads.consumeEcho(memberId, leadId, this.d.clock())) return 'own';
    let lead: LeadFacts | null;
    try {
      const c = await resolve(client);
      lead = parseLead(await c.call('crm.item.get', { entityTypeId: LEAD, id: leadId }));
    } catch (err) {
      if ((err as { code?: string }).code === 'not_found') {
        await this.d.leads.markGone(memberId, leadId, this.d.clock());
        return 'gone';
      }
      throw err;
    }
    if (!lead) return 'unknown';
    const moved = lead.assignedById !== row.holderId;
    await this.d.leads.observe(memberId, leadId, {
      holderId: lead.assignedById || null,
      statusId: lead.statusId || null,
      at: this.d.clock(),
    });
    if (moved) {
      this.d.log.info(
        { memberId, leadId, from: row.holderId, to: lead.assignedById },
        'lead reassigned on the portal; its load moves along',
      );
    }
    return moved ? 'moved' : 'unchanged';
  }

  /** Reads, decides and records one lead; then writes it. `row`: the register's row, if any (seen or waiting). */
  async place(
    memberId: string,
    leadId: number,
    client: PortalClient,
    receivedAt: number,
    row: LeadRow | undefined,
    settings: LeadSettings,
  ): Promise<AddOutcome> {
    const read = await client.batch(leadReadCommands(leadId, anyQueueFindsClient(settings)));
    if (read.errors.lead) {
      if (isNotFound(read.errors.lead)) {
        await this.d.leads.markGone(memberId, leadId, this.d.clock());
        return 'gone';
      }
      throw commandError('crm.item.get', read.errors.lead);
    }
    const lead = parseLead(read.results.lead);
    if (!lead) throw new Error(`crm.item.get returned no lead ${leadId}`);

    if (row?.phase === 'waiting' && (lead.assignedById || null) !== row.previousId) {
      // While it waited, a person gave it to someone: theirs.
      await this.d.leads.observe(memberId, leadId, {
        holderId: lead.assignedById || null,
        statusId: lead.statusId || null,
        at: this.d.clock(),
      });
      return 'skipped';
    }

    const lookup = this.d.dialogs();
    const dialogOperator =
      settings.skipIfFromAssignedDialog && lead.userCode && lookup
        ? await lookup.assignedOperator(memberId, lead.userCode)
        : null;
    if (
      settings.skipIfFromAssignedDialog &&
      lead.userCode &&
      lookup?.dialogState &&
      dialogOperator === null
    ) {
      // An open line creates its lead as the dialog arrives, before the app has placed the
      // dialog: wait for the dialog's operator instead of racing them with the lead queue. A
      // dialog that never shows up, or stays unplaced (nobody free), stops holding its lead back.
      const state = await lookup.dialogState(memberId, lead.userCode);
      const age = this.d.clock() - receivedAt;
      if (
        (state === 'placing' && age < DIALOG_GRACE_MS) ||
        (state === 'unknown' && age < DIALOG_ARRIVAL_MS)
      ) {
        throw new RetryLaterError(`lead ${leadId} waits for its dialog to be placed`);
      }
    }
    const why = leaveAloneWhy(settings, lead, dialogOperator);
    if (why) {
      const reason = {
        rule: 'skip',
        detail: why,
        operatorId: lead.assignedById,
        ...(dialogOperator !== null ? { dialogOperatorId: dialogOperator } : {}),
      };
      await this.recordAndLog(memberId, lead, receivedAt, 'skipped', null, reason, 'skip');
      return 'skipped';
    }

    const queue = queueFor(settings, lead);
    const links = queue.rules.responsible.enabled ? await this.clientLinks(client, read, lead) : [];
    const ids = new Set(queue.rules.queue.map((m) => m.id));
    for (const l of links) ids.add(l.responsibleId);
    const [infos, opSettings, language] = await Promise.all([
      this.d.operators.get(memberId, client, ids),
      this.d.settings.operators(memberId),
      this.d.language(memberId),
    ]);

    const outcome = await this.lock.run(`${memberId}\u0000${queue.id}`, () =>
      this.decideAndRecord(memberId, lead, queue, links, ids, infos, opSettings, settings, {
        receivedAt,
        wasWaiting: row?.phase === 'waiting',
        lang: portalLang(language),
      }),
    );
    if (outcome !== 'decided') return outcome;
    const decided = await this.d.leads.get(memberId, leadId);
    return this.finish(decided!, client, false);
  }

  /** The known client's responsible people: a second read, by id, only if the first found someone. */
  private async clientLinks(client: PortalClient, read: BatchResult, lead: LeadFacts): Promise<CrmLink[]> {
    const calls = linkReadCommands(clientMatches(read, lead));
    if (Object.keys(calls).length === 0) return [];
    // A link that cannot be read (deleted, no access) is simply not a link.
    return parseLinks(await client.batch(calls));
  }

  /** Under the queue's lock: the load and queue state as of now, the engine's decision, and its record. */
  private async decideAndRecord(
    memberId: string,
    lead: LeadFacts,
    queue: LeadQueue,
    links: CrmLink[],
    ids: Set<number>,
    infos: Map<number, OperatorInfo>,
    opSettings: Awaited<ReturnType<SettingsService['operators']>>,
    settings: LeadSettings,
    o: { receivedAt: number; wasWaiting: boolean; lang: 'ru' | 'en' },
  ): Promise<AddOutcome | 'decided'> {
    const now = this.d.clock();
    const [queueState, counts] = await Promise.all([
      this.d.queueState.get(memberId, queue.id),
      this.d.leads.loads(memberId, [...ids], settings.openStatuses),
    ]);
    const loads = new Map<number, Partial<OpenLoad>>([...counts].map(([id, n]) => [id, { notAnswered: n }]));
    const states = toOperatorStates(ids, infos, { settings: opSettings, queue: queueState, loads });
    const d = decide(
      queue.rules,
      states,
      { id: lead.id, kind: 'lead', arrivedAt: o.receivedAt, crm: links },
      now,
    );

    if (d.action === 'assign') {
      const nameOf = (id: number) => infos.get(id)?.name || `#${id}`;
      const recorded = await this.d.leads.recordOutcome({
        memberId,
        leadId: lead.id,
        phase: 'decided',
        queueId: queue.id,
        statusId: lead.statusId || null,
        holderId: d.operatorId,
        previousId: lead.assignedById || null,
        operatorId: d.operatorId,
        reason: d.reason,
        comment: withRef(
          leadComment(o.lang, queue.route, d.reason, nameOf),
          o.lang,
          decisionRef(memberId, lead.id, now),
        ),
        receivedAt: o.receivedAt,
        at: now,
      });
      if (!recorded) return 'already';
      // After the decision's record: a crash between the two costs the operator's turn, never a second assignment.
      await this.d.queueState.recordAssignment(memberId, queue.id, d.operatorId, d.stamp, d.credits);
      return 'decided';
    }
    if (d.action === 'wait') {
      if (o.wasWaiting) return 'still_waiting';
      await this.recordAndLog(memberId, lead, o.receivedAt, 'waiting', queue.id, d.reason, 'wait');
      return 'waiting';
    }
    // "All at once" hands a dialog to the line's own queue; a lead has no such queue, so it stays as it is.
    await this.recordAndLog(memberId, lead, o.receivedAt, 'skipped', queue.id, d.reason, 'portal_queue');
    return 'left';
  }

  /**
   * Writes a recorded decision: the responsible (only if it changes) and the comment, in one
   * batch that halts at a failed update, so the comment never announces an assignment that
   * did not happen. `recovering`: an earlier run may have written part of it before it stopped, so
   * the lead and its recent comments are read first and only what is missing is written.
   */
  async finish(row: LeadRow, client: PortalClient, recovering: boolean): Promise<AddOutcome> {
    const { memberId, leadId } = row;
    const operatorId = row.operatorId!;
    let updateDone = row.updateDone || row.previousId === operatorId;
    let commentId = row.commentId;

    if (recovering && (!updateDone || commentId === null)) {
      const r = await client.batch({
        lead: ['crm.item.get', { entityTypeId: LEAD, id: leadId }],
        ...(commentId === null
          ? {
              comments: [
                'crm.timeline.comment.list',
                { filter: { ENTITY_ID: leadId, ENTITY_TYPE: 'lead' }, order: { ID: 'DESC' } },
              ],
            }
          : {}),
      });
      if (isNotFound(r.errors.lead)) {
        await this.d.leads.markGone(memberId, leadId, this.d.clock());
        return 'gone';
      }
      if (r.errors.lead) throw commandError('crm.item.get', r.errors.lead);
      const lead = parseLead(r.results.lead);
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
          await this.log(row, 'skip', null, {
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
        { entityTypeId: LEAD, id: leadId, fields: { assignedById: operatorId } },
      ];
    }
    if (commentId === null && row.comment) {
      writes.comment = [
        'crm.timeline.comment.add',
        {
          fields: {
            ENTITY_ID: leadId,
            ENTITY_TYPE: 'lead',
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
          await this.log(kept, 'skip', null, {
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
    await this.logDone({ ...row, phase: 'done' });
    return 'assigned';
  }

  private async logDone(row: LeadRow): Promise<void> {
    if (row.logged) return;
    const latency = row.receivedAt !== null ? Math.max(0, this.d.clock() - row.receivedAt) : null;
    await this.log(row, 'assign', latency, row.reason);
  }

  private async recordAndLog(
    memberId: string,
    lead: LeadFacts,
    receivedAt: number,
    phase: 'skipped' | 'waiting',
    queueId: string | null,
    reason: unknown,
    action: LogAction,
  ): Promise<void> {
    const now = this.d.clock();
    const recorded = await this.d.leads.recordOutcome({
      memberId,
      leadId: lead.id,
      phase,
      queueId,
      statusId: lead.statusId || null,
      holderId: lead.assignedById || null,
      previousId: lead.assignedById || null,
      operatorId: null,
      reason,
      comment: null,
      receivedAt,
      at: now,
    });
    if (!recorded) return;
    const row = await this.d.leads.get(memberId, lead.id);
    if (row) await this.log(row, action, null, reason);
  }

  private async log(
    row: LeadRow,
    action: LogAction,
    latencyMs: number | null,
    reason: unknown,
  ): Promise<void> {
    await this.d.assignmentLog.add({
      memberId: row.memberId,
      kind: 'lead',
      objectId: String(row.leadId),
      queueId: row.queueId,
      action,
      operatorId: action === 'assign' ? row.operatorId : row.holderId,
      previousOperatorId: row.previousId,
      reason,
      latencyMs,
      at: this.d.clock(),
    });
    await this.d.leads.markLogged(row.memberId, row.leadId);
  }
}

/** A portal client, or a way to get one only when a request is actually needed. */
export type ClientSource = PortalClient | (() => Promise<PortalClient>);

function resolve(c: ClientSource): Promise<PortalClient> {
  return typeof c === 'function' ? c() : Promise.resolve(c);
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
