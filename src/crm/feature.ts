import type { Feature } from '../app-context.ts';
import { FirstTouchRepository } from '../db/repositories/first-touch.ts';
import { LeadSyncMarkRepository } from '../db/repositories/lead-sync-marks.ts';
import { LeadRepository } from '../db/repositories/leads.ts';
import { QuotaLedgerRepository } from '../db/repositories/quota-ledger.ts';
import { PortalZones } from '../jobs/maintenance/portal-time.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import { operatorDirectory } from '../operators/index.ts';
import { dialogLookupOf } from './dialog-lookup.ts';
import { checkFirstTouch } from './first-touch/check.ts';
import { leadAddDefinition, leadUpdateDefinition } from './events.ts';
import { LeadService, type LeadServiceDeps } from './lead-service.ts';
import { syncLeads } from './lead-sync.ts';
import { QuotaGate } from './quota.ts';

/** What this feature shares as `ctx.services.leads`. */
export interface LeadsServices {
  service: LeadService;
  repository: LeadRepository;
  /** The lead step of the sync job: corrects the register's load, then places waiting leads. */
  sync(j: JobContext): Promise<JobResult>;
  /** The lead step of the pass-on job: first-touch deadlines (crm/first-touch/check.ts). */
  firstTouch(j: JobContext): Promise<JobResult>;
  firstTouchRepository: FirstTouchRepository;
  quota: QuotaGate;
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
      const zones = new PortalZones({
        clock: ctx.clock,
        installingUser: async (memberId) => (await ctx.store.find(memberId))?.userId ?? null,
      });
      const quota = new QuotaGate({
        ledger: new QuotaLedgerRepository(ctx.db),
        portalZone: async (memberId, client) => {
          const z = (await zones.get(memberId, client)).zone;
          return z.kind === 'iana' ? z.name : z.minutes;
        },
      });
      const language = async (memberId: string) => (await ctx.store.find(memberId))?.language;
      const marks = new LeadSyncMarkRepository(ctx.db);
      const service = new LeadService({
        leads: repository,
        settings: ctx.settings,
        queueState: ctx.queueState,
        assignmentLog: ctx.assignmentLog,
        operators,
        language,
        quota,
        dialogs: () => dialogLookupOf(ctx.services),
        clock: ctx.clock,
        log: ctx.log.child({ part: 'leads' }),
        echoWindowMs: o.echoWindowMs,
      });
      const firstTouchRepository = new FirstTouchRepository(ctx.db);
      const leads: LeadsServices = {
        service,
        repository,
        firstTouchRepository,
        quota,
        firstTouch: (j) =>
          checkFirstTouch(
            {
              repo: firstTouchRepository,
              leads: repository,
              settings: ctx.settings,
              queueState: ctx.queueState,
              operators,
              quota,
              service,
              language,
              clock: ctx.clock,
              log: ctx.log.child({ part: 'first-touch' }),
            },
            j,
          ),
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
