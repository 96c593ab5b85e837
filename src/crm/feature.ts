import type { Feature } from '../app-context.ts';
import { FirstTouchRepository } from '../db/repositories/first-touch.ts';
import { DEAL_SYNC_MARKS, LeadSyncMarkRepository } from '../db/repositories/lead-sync-marks.ts';
import { DEAL_TABLE, LeadRepository } from '../db/repositories/leads.ts';
import { QuotaLedgerRepository } from '../db/repositories/quota-ledger.ts';
import { type BreachReportRow, SpeedReportRepository } from '../db/repositories/speed-reports.ts';
import { dayStart } from '../engine/index.ts';
import { PortalZones } from '../jobs/maintenance/portal-time.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import { operatorDirectory } from '../operators/index.ts';
import { BatchMerger } from '../portal/batch-merger.ts';
import type { PortalClient } from '../portal/client.ts';
import { dialogLookupOf } from './dialog-lookup.ts';
import { leadAddDefinition, leadUpdateDefinition } from './events.ts';
import { ownerHooksOf } from '../owner/hooks.ts';
import { DEAL_KIND } from './kind.ts';
import { LeadService, type LeadServiceDeps } from './lead-service.ts';
import { syncLeads } from './lead-sync.ts';
import { checkFirstTouch } from './first-touch/check.ts';
import { type SpeedReport, speedReport } from './first-touch/report.ts';
import { QuotaGate } from './quota.ts';

/** What this feature shares as `ctx.services.leads` (and the deal half as `ctx.services.deals`). */
export interface LeadsServices {
  service: LeadService;
  repository: LeadRepository;
  /** The CRM step of the sync job: corrects each register's load, then places waiting leads and deals. */
  sync(j: JobContext): Promise<JobResult>;
  /** The lead step of the pass-on job: first-touch deadlines (crm/first-touch/check.ts). */
  firstTouch(j: JobContext): Promise<JobResult>;
  firstTouchRepository: FirstTouchRepository;
  quota: QuotaGate;
  /** The speed-to-lead report (report.ts); `todayFrom` default: the portal's last midnight. */
  speed(memberId: string, now: number, todayFrom?: number): Promise<SpeedReportData>;
}

export interface SpeedReportData extends SpeedReport {
  /** the week's breaches, newest first (at most 50), with their log words */
  recent: BreachReportRow[];
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
      const zones = new PortalZones({
        clock: ctx.clock,
        installingUser: async (memberId) => (await ctx.store.find(memberId))?.userId ?? null,
      });
      // The portal's zone: quotas reset at its midnight, and the report's "today" starts there.
      const portalZone = async (memberId: string, client: PortalClient) => {
        const z = (await zones.get(memberId, client)).zone;
        return z.kind === 'iana' ? z.name : z.minutes;
      };
      const quota = new QuotaGate({ ledger: new QuotaLedgerRepository(ctx.db), portalZone });
      const language = async (memberId: string) => (await ctx.store.find(memberId))?.language;
      const deps: LeadServiceDeps = {
        leads: repository,
        settings: ctx.settings,
        queueState: ctx.queueState,
        assignmentLog: ctx.assignmentLog,
        operators,
        locks: ctx.db,
        language,
        quota,
        dialogs: () => dialogLookupOf(ctx.services),
        clock: ctx.clock,
        log: ctx.log.child({ part: 'leads' }),
        echoWindowMs: o.echoWindowMs,
        reads: new BatchMerger(),
        owner: () => ownerHooksOf(ctx.services),
      };
      const service = new LeadService(deps);
      const deals = new LeadService({
        ...deps,
        leads: dealRepository,
        kind: DEAL_KIND,
        // The same gate: a deal's quota (`deals.quota`) counts deals, apart from leads.
        sourceLeads: repository,
        log: ctx.log.child({ part: 'deals' }),
      });
      const common = { settings: ctx.settings, queueState: ctx.queueState, operators };
      const marks = new LeadSyncMarkRepository(ctx.db);
      const dealMarks = new LeadSyncMarkRepository(ctx.db, DEAL_SYNC_MARKS);
      const firstTouchRepository = new FirstTouchRepository(ctx.db);
      const reports = new SpeedReportRepository(ctx.db);
      const leads: LeadsServices = {
        service,
        repository,
        firstTouchRepository,
        quota,
        async speed(memberId, now, todayFrom) {
          let today = todayFrom;
          if (today === undefined) {
            try {
              today = dayStart(now, await portalZone(memberId, await ctx.clients.get(memberId)));
            } catch {
              today = now - 24 * 3600_000;
            }
          }
          const week = now - 7 * 24 * 3600_000;
          const [touches, breaches] = await Promise.all([
            reports.touches(memberId, week),
            reports.breaches(memberId, week),
          ]);
          const report = speedReport(touches, breaches, {
            today: { from: today, to: now },
            week: { from: week, to: now },
          });
          return { ...report, recent: breaches.slice(0, 50) };
        },
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
