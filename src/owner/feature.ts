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
    // Changes reported and not followed yet (a chat's move does not wait for its CRM side).
    const inFlight = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => undefined);
      return p;
    };
    const services: OwnerServices = {
      repository,
      chatChanged: (c: ChatChange) => track(crm.chatChanged(c)),
      crmChanged: (c: CrmChange) => track(chat.crmChanged(c)),
      async idle() {
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      },
      watches: (memberId, entity, id) => chat.watches(memberId, entity, id),
      recover: (memberId, client, now) => crm.recover(memberId, client, now),
    };
    ctx.services.owner = services;
    ctx.lifecycle.stop.push(() => services.idle());
  },
};
