import type { LeadRow } from '../db/repositories/leads.ts';
import { RetryLaterError } from '../errors.ts';
import type { PortalClient } from '../portal/client.ts';
import type { LeadSettings } from '../settings/schema.ts';
import { commandError, isNotFound } from './batch.ts';
import { portalLang } from './comment.ts';
import { KeyedLock } from './keyed-lock.ts';
import { clientLinks, decideAndRecord } from './lead-decision.ts';
import { LeadLog } from './lead-log.ts';
import { leadReadCommands, parseLead } from './lead-read.ts';
import {
  type AddOutcome,
  type ClientSource,
  type LeadServiceDeps,
  resolveClient,
  type UpdateOutcome,
} from './lead-types.ts';
import { leadUpdated } from './lead-updates.ts';
import { LeadWriter } from './lead-write.ts';
import { anyQueueFindsClient, leaveAloneWhy, queueFor } from './policy.ts';

export type { AddOutcome, ClientSource, LeadServiceDeps, UpdateOutcome } from './lead-types.ts';
export { ECHO_WINDOW_MS } from './lead-types.ts';

/** How long a lead from an open-line dialog waits for that dialog to be placed… */
export const DIALOG_GRACE_MS = 60_000;
/** …and for the dialog's event to arrive at all. */
export const DIALOG_ARRIVAL_MS = 10_000;

/**
 * New CRM leads to operators. A lead is read (one batch), left alone if a person already
 * chose its responsible or it belongs to a dialog the app assigned, else placed by the engine
 * in its queue; the decision goes to the register first, then the responsible and a timeline
 * comment are written (one batch). A re-run after a crash finishes that same write.
 *
 * Its parts: lead-decision.ts (the engine's choice and its record), lead-write.ts (the portal
 * write, exactly once), lead-updates.ts (ONCRMLEADUPDATE), lead-log.ts (the assignment log).
 */
export class LeadService {
  private readonly lock = new KeyedLock();
  private readonly journal: LeadLog;
  private readonly writer: LeadWriter;

  constructor(private readonly d: LeadServiceDeps) {
    this.journal = new LeadLog(d);
    this.writer = new LeadWriter(d, this.journal);
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
    if (row?.phase === 'decided') return this.finish(row, await resolveClient(client), true);
    if (row && row.phase !== 'seen' && row.phase !== 'waiting') {
      if (row.phase === 'done' && !row.logged) await this.journal.logDone(row);
      return 'already';
    }
    return this.place(memberId, leadId, await resolveClient(client), receivedAt, row, settings);
  }

  /** ONCRMLEADUPDATE: see lead-updates.ts. */
  onUpdate(memberId: string, leadId: number, client: ClientSource): Promise<UpdateOutcome> {
    return leadUpdated(this.d, memberId, leadId, client);
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
      await this.journal.recordAndLog(memberId, lead, receivedAt, 'skipped', null, reason, 'skip');
      return 'skipped';
    }

    const queue = queueFor(settings, lead);
    const links = queue.rules.responsible.enabled ? await clientLinks(client, read, lead) : [];
    const ids = new Set(queue.rules.queue.map((m) => m.id));
    for (const l of links) ids.add(l.responsibleId);
    // The quota's overflow person is asked about with the queue (one directory read).
    if (settings.quota.enabled && settings.quota.overflow.userId) ids.add(settings.quota.overflow.userId);
    const [infos, opSettings, language] = await Promise.all([
      this.d.operators.get(memberId, client, ids),
      this.d.settings.operators(memberId),
      this.d.language(memberId),
    ]);

    const outcome = await this.lock.run(`${memberId}\u0000${queue.id}`, () =>
      decideAndRecord(this.d, this.journal, memberId, lead, queue, links, ids, infos, opSettings, settings, {
        receivedAt,
        wasWaiting: row?.phase === 'waiting',
        lang: portalLang(language),
        client,
      }),
    );
    if (outcome !== 'decided') return outcome;
    const decided = await this.d.leads.get(memberId, leadId);
    return this.finish(decided!, client, false);
  }

  /** Writes a recorded decision (see lead-write.ts); `recovering`: read back before writing. */
  finish(row: LeadRow, client: PortalClient, recovering: boolean): Promise<AddOutcome> {
    return this.writer.finish(row, client, recovering);
  }
}
