import type { AssignmentLogRepository } from '../db/repositories/assignment-log.ts';
import type { LeadRepository } from '../db/repositories/leads.ts';
import type { FollowEntity, FollowRow, OwnerRepository } from '../db/repositories/owner.ts';
import { commandError, haltingBatch, isNotFound } from '../crm/batch.ts';
import type { Logger } from '../log/logger.ts';
import type { Call, PortalClient } from '../portal/client.ts';
import type { ClientFactory } from '../portal/client-pool.ts';
import { withRestClass } from '../portal/rest-priority.ts';
import { parseEntityData2 } from '../openlines/portal-adapter.ts';
import type { SettingsService } from '../settings/service.ts';
import type { ChatChange } from './hooks.ts';
import { crmFollowsChat, itemFollows } from './policy.ts';
import { followReason, laterChangeReason } from './reasons.ts';

const TYPE: Record<FollowEntity, number> = { lead: 1, deal: 2, contact: 3 };
/** How long a follow waits for others of its portal to leave with (one batch request for all). */
export const FOLLOW_WINDOW_MS = 150;
/** A follow sent this long ago and not confirmed is read back before anything else (move-claims.ts' IN_FLIGHT_MS). */
export const FOLLOW_IN_FLIGHT_MS = 15_000;
/** The app's own responsible change comes back as one update event within this window (lead-types.ts). */
const ECHO_MS = 120_000;

export interface CrmFollowDeps {
  repo: OwnerRepository;
  settings: SettingsService;
  clients: ClientFactory;
  /** the lead and deal registers: the echo of the app's write is recognised there */
  registers: { lead: LeadRepository; deal: LeadRepository };
  assignmentLog: AssignmentLogRepository;
  clock: () => number;
  log: Logger;
}

/**
 * The CRM side following its chat: when a chat's operator changes, its lead, deal (and, if the
 * portal says so, contact) get the new operator as their responsible. Each follow is recorded
 * (owner_follows) and marked before it is sent, one batch for all of a chat's items; a follow
 * whose answer was lost is read back (crm.item.get) and sent again only while the item is still
 * with its previous responsible. The app's write is announced to the registers as its own, so
 * its ONCRMLEADUPDATE / ONCRMDEALUPDATE does not come back as a change to follow.
 */
export class CrmFollower {
  /** follows waiting for their portal's next batch (FOLLOW_WINDOW_MS) */
  private readonly pending = new Map<
    string,
    { client: PortalClient; rows: FollowRow[]; sent: Promise<void> }
  >();

  constructor(private readonly d: CrmFollowDeps) {}

  chatChanged(c: ChatChange): Promise<void> {
    return withRestClass('background', () => this.follow(c));
  }

  private async follow(c: ChatChange): Promise<void> {
    const s = await this.d.settings.owner(c.memberId);
    if (s.policy === 'off') return;
    const mark = await this.d.repo.mark(c.memberId, c.chatId);
    const verdict = crmFollowsChat(s.policy, c, mark);
    if (c.byPerson) {
      await this.d.repo.setMark(c.memberId, c.chatId, { side: 'chat', ownerId: c.to, byId: null, at: c.at });
    }
    if (!verdict.follow) {
      if (verdict.why === 'later_person_change') {
        await this.d.assignmentLog.add({
          memberId: c.memberId,
          kind: 'dialog',
          objectId: String(c.chatId),
          action: 'skip',
          operatorId: c.to,
          previousOperatorId: c.from,
          reason: laterChangeReason('crm', mark!.at),
          at: this.d.clock(),
        });
      }
      return;
    }
    const client = await this.d.clients.get(c.memberId);
    const items = await this.items(client, c, s.contact);
    const follows: Omit<FollowRow, 'id' | 'memberId' | 'state' | 'attempts' | 'sentAt'>[] = [];
    for (const it of items) {
      const chosen = await this.chosenByPerson(c, it, mark);
      const why = itemFollows(c, it.holder, chosen);
      if (why === 'follow') {
        follows.push({
          entity: it.entity,
          entityId: it.id,
          chatId: c.chatId,
          cause: c.cause,
          byPerson: c.byPerson,
          fromId: it.holder || null,
          targetId: c.to,
          createdAt: c.at,
        });
      } else if (why === 'person_choice_stands') {
        await this.d.assignmentLog.add({
          memberId: c.memberId,
          kind: it.entity,
          objectId: String(it.id),
          action: 'skip',
          operatorId: it.holder,
          previousOperatorId: it.holder,
          reason: followReason('stands', c, it.holder),
          at: this.d.clock(),
        });
      }
    }
    if (follows.length === 0) return;
    const recorded = await this.d.repo.record(c.memberId, follows, this.d.clock());
    await this.enqueue(client, recorded);
  }

  /**
   * Follows of chats that changed hands together (a transfer batch's confirmations, a drain)
   * leave together: one batch request per portal per FOLLOW_WINDOW_MS, up to 50 writes each,
   * instead of one request per chat.
   */
  private enqueue(client: PortalClient, rows: FollowRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    let q = this.pending.get(client.memberId);
    if (!q || q.rows.length + rows.length > 50) {
      const batch: { client: PortalClient; rows: FollowRow[]; sent: Promise<void> } = {
        client,
        rows: [],
        sent: Promise.resolve(),
      };
      batch.sent = new Promise<void>((resolve) => setTimeout(resolve, FOLLOW_WINDOW_MS)).then(() => {
        if (this.pending.get(client.memberId) === batch) this.pending.delete(client.memberId);
        return this.send(batch.client, batch.rows);
      });
      q = batch;
      this.pending.set(client.memberId, q);
    }
    q.rows.push(...rows);
    return q.sent;
  }

  /**
   * Follows not known to be done (the sync job's step): never sent → sent; sent long enough
   * ago → read back, then done, sent again, or superseded (someone else moved the item since).
   */
  async recover(memberId: string, client: PortalClient, now: number): Promise<{ finished: number }> {
    const rows = await this.d.repo.unfinished(memberId, now - FOLLOW_IN_FLIGHT_MS);
    if (rows.length === 0) return { finished: 0 };
    const sent = rows.filter((r) => r.state === 'sent');
    const resend = rows.filter((r) => r.state === 'pending');
    if (sent.length > 0) {
      const calls: Record<string, Call> = {};
      for (const r of sent)
        calls[`f${r.id}`] = ['crm.item.get', { entityTypeId: TYPE[r.entity], id: r.entityId }];
      const res = await client.batch(calls);
      for (const r of sent) {
        const e = res.errors[`f${r.id}`];
        if (e) {
          if (isNotFound(e)) await this.d.repo.settle(r.id, 'superseded', this.d.clock());
          continue;
        }
        const holder = holderOf(res.results[`f${r.id}`]);
        if (holder === r.targetId) await this.done(client.memberId, r);
        else if (holder === (r.fromId ?? 0)) resend.push(r);
        else await this.d.repo.settle(r.id, 'superseded', this.d.clock());
      }
    }
    await this.send(client, resend);
    return { finished: rows.length };
  }

  /** Marks, sends in one batch (each write on its own), and settles what the answer says. */
  private async send(client: PortalClient, rows: FollowRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.d.repo.markSent(
      rows.map((r) => r.id),
      this.d.clock(),
    );
    const calls: Record<string, Call> = {};
    for (const r of rows) {
      calls[`f${r.id}`] = [
        'crm.item.update',
        { entityTypeId: TYPE[r.entity], id: r.entityId, fields: { assignedById: r.targetId } },
      ];
    }
    // An answer lost here leaves the rows 'sent': recover() reads them back before anything else.
    // Background in the portal's budget: a follow is never new work, and under load it waits
    // its turn with the sync rather than push it out (rest-priority.ts).
    const res = await withRestClass('background', () => haltingBatch(client, calls, false));
    for (const r of rows) {
      const e = res.errors[`f${r.id}`];
      if (!e) {
        await this.done(client.memberId, r);
        continue;
      }
      const err = commandError('crm.item.update', e);
      if (isNotFound(e) || !err.retryable) {
        await this.d.repo.settle(r.id, 'superseded', this.d.clock());
        this.d.log.warn(
          { memberId: client.memberId, entity: r.entity, id: r.entityId, error: e.error },
          'the portal refused a follow: the item keeps its responsible',
        );
      }
    }
  }

  private async done(memberId: string, r: FollowRow): Promise<void> {
    const at = this.d.clock();
    if (r.entity !== 'contact') {
      const reg = this.d.registers[r.entity];
      await reg.markWritten(memberId, r.entityId, { echoUntil: at + ECHO_MS, at });
      await reg.observe(memberId, r.entityId, { holderId: r.targetId, statusId: null, at });
    }
    await this.d.repo.settle(r.id, 'done', at, at + ECHO_MS);
    await this.d.assignmentLog.add({
      memberId,
      kind: r.entity,
      objectId: String(r.entityId),
      action: 'follow',
      operatorId: r.targetId,
      previousOperatorId: r.fromId,
      reason: followReason('follows', { chatId: r.chatId, cause: r.cause, byPerson: r.byPerson }, r.targetId),
      at,
    });
  }

  /** The chat's CRM items and their responsibles now: the bindings as the portal has them, one batch. */
  /**
   * The chat's CRM items and their responsibles now. After the app's own move the register's
   * bindings and holders are used, and only what no register holds is read (a contact, an item
   * the app never placed): the common case costs no read. After a person's transfer, or when the
   * bindings are not known, the chat is read first (a deal made from it since is in its bindings
   * now), with the known items in the same batch.
   */
  private async items(
    client: PortalClient,
    c: ChatChange,
    withContact: boolean,
  ): Promise<{ entity: FollowEntity; id: number; holder: number }[]> {
    const wanted = (crm: NonNullable<ChatChange['crm']>) =>
      (
        [
          ['lead', crm.LEAD],
          ['deal', crm.DEAL],
          ['contact', withContact ? crm.CONTACT : 0],
        ] as [FollowEntity, number][]
      ).filter(([, id]) => id > 0);
    let bindings = c.crm;
    const read: Record<string, Call> = {};
    if (c.byPerson || !bindings) read.dlg = ['imopenlines.dialog.get', { CHAT_ID: c.chatId }];
    const out: { entity: FollowEntity; id: number; holder: number }[] = [];
    const fromRegister = async (entity: FollowEntity, id: number) => {
      if (entity === 'contact' || c.byPerson) return null;
      const row = await this.d.registers[entity].get(c.memberId, id);
      return row && row.phase !== 'decided' && row.holderId !== null ? row.holderId : null;
    };
    for (const [entity, id] of bindings ? wanted(bindings) : []) {
      const holder = await fromRegister(entity, id);
      if (holder !== null) out.push({ entity, id, holder });
      else read[`${entity}${id}`] = ['crm.item.get', { entityTypeId: TYPE[entity], id }];
    }
    if (Object.keys(read).length === 0) return out;
    const res = await client.batch(read);
    const take = (r: typeof res, entity: FollowEntity, id: number) => {
      const got = r.results[`${entity}${id}`];
      if (got !== undefined) out.push({ entity, id, holder: holderOf(got) });
    };
    for (const [entity, id] of bindings ? wanted(bindings) : []) take(res, entity, id);
    if (read.dlg) {
      const fresh = parseEntityData2(
        (res.results.dlg as { entity_data_2?: unknown } | undefined)?.entity_data_2,
      );
      const missing: Record<string, Call> = {};
      for (const [entity, id] of fresh ? wanted(fresh) : []) {
        if (!out.some((o) => o.entity === entity && o.id === id) && !res.errors[`${entity}${id}`])
          missing[`${entity}${id}`] = ['crm.item.get', { entityTypeId: TYPE[entity], id }];
      }
      if (Object.keys(missing).length > 0) {
        const more = await client.batch(missing);
        for (const [key, [, params]] of Object.entries(missing)) {
          const p = params as { entityTypeId: number; id: number };
          const entity = (Object.keys(TYPE) as FollowEntity[]).find((e) => TYPE[e] === p.entityTypeId)!;
          if (more.results[key] !== undefined) take(more, entity, p.id);
        }
      }
      bindings = fresh ?? bindings;
    }
    return out;
  }

  /** Whether a person chose this item's responsible (a lead or deal the app left with them, or a person's change). */
  private async chosenByPerson(
    c: ChatChange,
    it: { entity: FollowEntity; id: number; holder: number },
    mark: { side: 'chat' | 'crm'; ownerId: number } | undefined,
  ): Promise<boolean> {
    if (mark?.side === 'crm' && mark.ownerId === it.holder) return true;
    if (it.entity === 'contact') return false;
    const row = await this.d.registers[it.entity].get(c.memberId, it.id);
    return (
      row?.holderId === it.holder &&
      row.phase === 'skipped' &&
      (row.reason as { detail?: string } | null)?.detail === 'responsible_chosen'
    );
  }
}

function holderOf(result: unknown): number {
  const n = Number((result as { item?: { assignedById?: unknown } } | undefined)?.item?.assignedById);
  return Number.isInteger(n) ? n : 0;
}
