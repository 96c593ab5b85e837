import type { LeadRow } from '../db/repositories/leads.ts';
import { RetryLaterError } from '../errors.ts';
import type { PortalClient } from '../portal/client.ts';
import { commandError, isNotFound } from './batch.ts';
import { portalLang } from './comment.ts';
import { clientLinks, decideAndRecord } from './lead-decision.ts';
import { LeadLog } from './lead-log.ts';
import { type Cover, coverLinks, deputiesOf } from '../absence/cover.ts';
import { handoverRule } from '../settings/absences.ts';
import { fromLead } from './from-lead.ts';
import type { CrmKind, CrmSettings } from './kind.ts';
import { type LeadFacts, leadReadCommands } from './lead-read.ts';
import {
  type AddOutcome,
  type ClientSource,
  kindOf,
  type LeadServiceDeps,
  readBatch,
  resolveClient,
  type UpdateOutcome,
} from './lead-types.ts';
import { leadUpdated } from './lead-updates.ts';
import { LeadWriter } from './lead-write.ts';

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
  private readonly journal: LeadLog;
  private readonly writer: LeadWriter;

  /** What this service places: leads or deals. */
  get kind(): CrmKind {
    return kindOf(this.d);
  }

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
    const settings = await kindOf(this.d).settings(this.d.settings, memberId);
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
  onUpdate(memberId: string, leadId: number, client: ClientSource, byPerson = false): Promise<UpdateOutcome> {
    return leadUpdated(this.d, memberId, leadId, client, byPerson);
  }

  /** Reads, decides and records one lead; then writes it. `row`: the register's row, if any (seen or waiting). */
  async place(
    memberId: string,
    leadId: number,
    client: PortalClient,
    receivedAt: number,
    row: LeadRow | undefined,
    settings: CrmSettings,
  ): Promise<AddOutcome> {
    const kind = kindOf(this.d);
    const read = await readBatch(
      this.d,
      client,
      leadReadCommands(leadId, kind.findsClient(settings), kind.entityTypeId),
    );
    if (read.errors.lead) {
      if (isNotFound(read.errors.lead)) {
        await this.d.leads.markGone(memberId, leadId, this.d.clock());
        return 'gone';
      }
      throw commandError('crm.item.get', read.errors.lead);
    }
    const lead = kind.parse(read.results.lead);
    if (!lead) throw new Error(`crm.item.get returned no ${kind.name} ${leadId}`);

    if (row?.phase === 'waiting' && (lead.assignedById || null) !== row.previousId) {
      // While it waited, a person gave it to someone: theirs.
      await this.d.leads.observe(memberId, leadId, {
        holderId: lead.assignedById || null,
        statusId: lead.statusId || null,
        at: this.d.clock(),
      });
      return 'skipped';
    }

    const fromDialogs = kind.fromDialogs(settings);
    const lookup = this.d.dialogs();
    const dialogOperator =
      fromDialogs && lead.userCode && lookup ? await lookup.assignedOperator(memberId, lead.userCode) : null;
    if (fromDialogs && lead.userCode && lookup?.dialogState && dialogOperator === null) {
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
    // A deal converted from a lead the app placed: the lead's person first (from-lead.ts).
    const converted = await fromLead(this.d, memberId, settings, lead);
    // An absent person's item waiting since their handover is the app's to place, whoever holds it.
    const handedOver =
      row?.phase === 'waiting' && (row.reason as { cover?: unknown } | null)?.cover !== undefined;
    const why = converted || handedOver ? null : kind.leaveAloneWhy(settings, lead, dialogOperator);
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

    const queue = converted?.queue ?? kind.queueFor(settings, lead);
    const links = queue.rules.responsible.enabled
      ? [...(converted?.links ?? []), ...(await clientLinks(client, read, lead))]
      : [];
    const ids = new Set(queue.rules.queue.map((m) => m.id));
    for (const l of links) ids.add(l.responsibleId);
    // The quota's overflow person is asked about with the queue (one directory read).
    const overflowPerson = settings.quota.enabled ? settings.quota.overflow.userId : null;
    if (overflowPerson) ids.add(overflowPerson);
    const [opSettings, handover, language] = await Promise.all([
      this.d.settings.operators(memberId),
      this.d.settings.handover(memberId),
      this.d.language(memberId),
    ]);
    // An absent responsible's deputy is read with them, in case they stand in (absence/cover.ts).
    if (handover.enabled)
      for (const id of deputiesOf(
        links.map((l) => l.responsibleId),
        opSettings,
      ))
        ids.add(id);
    const infos = await this.d.operators.get(memberId, client, ids);
    const where = kind.name === 'lead' ? { leads: queue.route } : { deals: queue.route };
    const rule = handover.enabled ? handoverRule(handover, where) : null;
    const covered = coverLinks(links, rule, infos, opSettings, this.d.clock());

    // One decision at a time per portal and kind, in every process of every instance (turnOf).
    const outcome = await this.d.locks.withLock(turnOf(kind.name, memberId), () =>
      decideAndRecord(
        this.d,
        this.journal,
        memberId,
        lead,
        queue,
        covered.links,
        ids,
        infos,
        opSettings,
        settings,
        {
          receivedAt,
          wasWaiting: row?.phase === 'waiting',
          lang: portalLang(language),
          client,
          covers: covered.covers,
        },
      ),
    );
    if (outcome !== 'decided') return outcome;
    const decided = await this.d.leads.get(memberId, leadId);
    return this.finish(decided!, client, false);
  }

  /**
   * An absent person's untouched item at the start of the absence: decided again, to the
   * deputy (`h.to`, when available for the item's queue) or by the queue, then written like
   * any decision (recorded first, read back before a resend). Nobody free: it waits.
   */
  async handOver(
    memberId: string,
    lead: LeadFacts,
    client: PortalClient,
    h: { to: number | null; cover: Cover },
  ): Promise<AddOutcome> {
    const kind = kindOf(this.d);
    const settings = await kind.settings(this.d.settings, memberId);
    if (!settings.enabled) return 'disabled';
    const now = this.d.clock();
    const reopened = await this.d.leads.reopen(memberId, lead.id, {
      holderId: lead.assignedById || null,
      statusId: lead.statusId || null,
      at: now,
    });
    if (!reopened) return 'already';
    const queue = kind.queueFor(settings, lead);
    const ids = new Set(queue.rules.queue.map((m) => m.id));
    if (h.to !== null) ids.add(h.to);
    const [infos, opSettings, language] = await Promise.all([
      this.d.operators.get(memberId, client, ids),
      this.d.settings.operators(memberId),
      this.d.language(memberId),
    ]);
    const outcome = await this.d.locks.withLock(turnOf(kind.name, memberId), () =>
      decideAndRecord(this.d, this.journal, memberId, lead, queue, [], ids, infos, opSettings, settings, {
        receivedAt: now,
        wasWaiting: false,
        lang: portalLang(language),
        client,
        handover: h,
      }),
    );
    if (outcome !== 'decided') return outcome;
    return this.finish((await this.d.leads.get(memberId, lead.id))!, client, false);
  }

  /** Writes a recorded decision (see lead-write.ts); `recovering`: read back before writing. */
  finish(row: LeadRow, client: PortalClient, recovering: boolean): Promise<AddOutcome> {
    return this.writer.finish(row, client, recovering);
  }
}

/**
 * The store lock a portal's lead (or deal) decisions take turns under, in every process: a
 * limit counts an operator's items in all queues of the kind, so two queues sharing
 * operators take turns too.
 */
function turnOf(kind: string, memberId: string): string {
  return `${kind}s:${memberId}`;
}
