import type { Feature } from '../app-context.ts';
import { DEAL_TABLE, LeadRepository } from '../db/repositories/leads.ts';
import { OwnerRepository } from '../db/repositories/owner.ts';
import { ChatFollower } from './follow-chat.ts';
import { CrmFollower } from './follow-crm.ts';
import { type ChatChange, type CrmChange, chatMoverOf, type OwnerHooks } from './hooks.ts';

/** What this feature shares as `ctx.services.owner`. */
export interface OwnerServices extends OwnerHooks {
  repository: OwnerRepository;
}

/**
 * One owner for chat, lead, deal and contact (issue 19): the portal's policy (settings scope
 * `owner`) says which side leads; open lines and the CRM handlers report changes through
 * ctx.services.owner (hooks.ts), and the chat side moves through open lines' moveChat.
 */
export const ownerFeature: Feature = {
  name: 'owner',
  register(ctx) {
    const repository = new OwnerRepository(ctx.db);
    const log = ctx.log.child({ part: 'owner' });
    const crm = new CrmFollower({
      repo: repository,
      settings: ctx.settings,
      clients: ctx.clients,
      registers: { lead: new LeadRepository(ctx.db), deal: new LeadRepository(ctx.db, DEAL_TABLE) },
      assignmentLog: ctx.assignmentLog,
      clock: ctx.clock,
      log,
    });
    const chat = new ChatFollower({
      repo: repository,
      settings: ctx.settings,
      mover: () => chatMoverOf(ctx.services),
      assignmentLog: ctx.assignmentLog,
      clock: ctx.clock,
      log,
    });
    const services: OwnerServices = {
      repository,
      chatChanged: (c: ChatChange) => crm.chatChanged(c),
      crmChanged: (c: CrmChange) => chat.crmChanged(c),
      watches: (memberId, entity, id) => chat.watches(memberId, entity, id),
      recover: (memberId, client, now) => crm.recover(memberId, client, now),
    };
    ctx.services.owner = services;
  },
};
