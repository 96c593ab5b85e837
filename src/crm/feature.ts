import type { Feature } from '../app-context.ts';
import { LeadSyncMarkRepository } from '../db/repositories/lead-sync-marks.ts';
import { LeadRepository } from '../db/repositories/leads.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import { operatorDirectory } from '../operators/index.ts';
import { BatchMerger } from '../portal/batch-merger.ts';
import { dialogLookupOf } from './dialog-lookup.ts';
import { leadAddDefinition, leadUpdateDefinition } from './events.ts';
import { LeadService, type LeadServiceDeps } from './lead-service.ts';
import { syncLeads } from './lead-sync.ts';

/** What this feature shares as `ctx.services.leads`. */
export interface LeadsServices {
  service: LeadService;
  repository: LeadRepository;
  /** The lead step of the sync job: corrects the register's load, then places waiting leads. */
  sync(j: JobContext): Promise<JobResult>;
}

export interface LeadsFeatureOptions {
  echoWindowMs?: LeadServiceDeps['echoWindowMs'];
}

/** Leads (ONCRMLEADADD/ONCRMLEADUPDATE): queue rules for new CRM leads, the register and its sync. */
export function createLeadsFeature(o: LeadsFeatureOptions = {}): Feature {
  return {
    name: 'leads',
    register(ctx) {
      const repository = new LeadRepository(ctx.db);
      const operators = operatorDirectory(ctx);
      const marks = new LeadSyncMarkRepository(ctx.db);
      const service = new LeadService({
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
        reads: new BatchMerger(),
      });
      const leads: LeadsServices = {
        service,
        repository,
        sync: (j) =>
          syncLeads(
            {
              leads: repository,
              marks,
              settings: ctx.settings,
              queueState: ctx.queueState,
              operators,
              service,
            },
            j,
          ),
      };
      ctx.services.leads = leads;
      ctx.router.on(leadAddDefinition(service));
      ctx.router.on(leadUpdateDefinition(service));
    },
  };
}

export const leadsFeature: Feature = createLeadsFeature();
