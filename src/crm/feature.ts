import type { Feature } from '../app-context.ts';
import { DEAL_SYNC_MARKS, LeadSyncMarkRepository } from '../db/repositories/lead-sync-marks.ts';
import { DEAL_TABLE, LeadRepository } from '../db/repositories/leads.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import { operatorDirectory } from '../operators/index.ts';
import { dialogLookupOf } from './dialog-lookup.ts';
import { leadAddDefinition, leadUpdateDefinition } from './events.ts';
import { ownerHooksOf } from '../owner/hooks.ts';
import { DEAL_KIND } from './kind.ts';
import { LeadService, type LeadServiceDeps } from './lead-service.ts';
import { syncLeads } from './lead-sync.ts';

/** What this feature shares as `ctx.services.leads` (and the deal half as `ctx.services.deals`). */
export interface LeadsServices {
  service: LeadService;
  repository: LeadRepository;
  /** The CRM step of the sync job: corrects each register's load, then places waiting leads and deals. */
  sync(j: JobContext): Promise<JobResult>;
}

export interface DealsServices {
  service: LeadService;
  repository: LeadRepository;
}

export interface LeadsFeatureOptions {
  echoWindowMs?: LeadServiceDeps['echoWindowMs'];
}

/**
 * Leads (ONCRMLEADADD/ONCRMLEADUPDATE) and deals (ONCRMDEALADD/ONCRMDEALUPDATE/
 * ONCRMDEALMOVETOCATEGORY): one machinery, two kinds (kind.ts), each with its register.
 */
export function createLeadsFeature(o: LeadsFeatureOptions = {}): Feature {
  return {
    name: 'leads',
    register(ctx) {
      const repository = new LeadRepository(ctx.db);
      const dealRepository = new LeadRepository(ctx.db, DEAL_TABLE);
      const operators = operatorDirectory(ctx);
      const deps: LeadServiceDeps = {
        leads: repository,
        settings: ctx.settings,
        queueState: ctx.queueState,
        assignmentLog: ctx.assignmentLog,
        operators,
        language: async (memberId) => (await ctx.store.find(memberId))?.language,
        dialogs: () => dialogLookupOf(ctx.services),
        clock: ctx.clock,
        log: ctx.log.child({ part: 'leads' }),
        echoWindowMs: o.echoWindowMs,
        owner: () => ownerHooksOf(ctx.services),
      };
      const service = new LeadService(deps);
      const deals = new LeadService({
        ...deps,
        leads: dealRepository,
        kind: DEAL_KIND,
        sourceLeads: repository,
        log: ctx.log.child({ part: 'deals' }),
      });
      const common = { settings: ctx.settings, queueState: ctx.queueState, operators };
      const marks = new LeadSyncMarkRepository(ctx.db);
      const dealMarks = new LeadSyncMarkRepository(ctx.db, DEAL_SYNC_MARKS);
      const leads: LeadsServices = {
        service,
        repository,
        async sync(j) {
          const out = await syncLeads({ ...common, leads: repository, marks, service }, j);
          const d = await syncLeads(
            { ...common, leads: dealRepository, marks: dealMarks, service: deals, kind: DEAL_KIND },
            j,
          );
          for (const [k, v] of Object.entries(d)) out[k.replace(/^leads/, 'deals')] = v;
          // One owner: follows whose answer was lost are read back and finished on the same schedule.
          const owner = ownerHooksOf(ctx.services);
          if (owner && !j.dryRun) {
            const { finished } = await owner.recover(j.memberId, j.client, j.now);
            if (finished > 0) out.ownerFollowsFinished = finished;
          }
          return out;
        },
      };
      ctx.services.leads = leads;
      ctx.services.deals = { service: deals, repository: dealRepository } satisfies DealsServices;
      ctx.router.on(leadAddDefinition(service));
      ctx.router.on(leadUpdateDefinition(service));
      ctx.router.on(leadAddDefinition(deals, DEAL_KIND));
      ctx.router.on(leadUpdateDefinition(deals, DEAL_KIND));
      // A deal moved to another pipeline: read again like any update (its route may change while it waits).
      ctx.router.on(leadUpdateDefinition(deals, DEAL_KIND, 'ONCRMDEALMOVETOCATEGORY'));
    },
  };
}

export const leadsFeature: Feature = createLeadsFeature();
