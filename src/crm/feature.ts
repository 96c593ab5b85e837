import type { Feature } from '../app-context.ts';
import { FirstTouchRepository } from '../db/repositories/first-touch.ts';
import { LeadSyncMarkRepository } from '../db/repositories/lead-sync-marks.ts';
import { LeadRepository } from '../db/repositories/leads.ts';
import { QuotaLedgerRepository } from '../db/repositories/quota-ledger.ts';
import { PortalZones } from '../jobs/maintenance/portal-time.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import { operatorDirectory } from '../operators/index.ts';
import type { PortalClient } from '../portal/client.ts';
import { dialogLookupOf } from './dialog-lookup.ts';
import { checkFirstTouch } from './first-touch/check.ts';
import { leadAddDefinition, leadUpdateDefinition } from './events.ts';
import { LeadService, type LeadServiceDeps } from './lead-service.ts';
import { syncLeads } from './lead-sync.ts';
import { QuotaGate } from './quota.ts';
import { type SpeedReport, speedReport } from './first-touch/report.ts';
import { type BreachReportRow, SpeedReportRepository } from '../db/repositories/speed-reports.ts';
import { dayStart } from '../engine/index.ts';

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
  /** The speed-to-lead report (report.ts); `todayFrom` default: the portal's last midnight. */
  speed(memberId: string, now: number, todayFrom?: number): Promise<SpeedReportData>;
}

export interface SpeedReportData extends SpeedReport {
  /** the week's breaches, newest first (at most 50), with their log words */
  recent: BreachReportRow[];
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
      // The portal's zone: quotas reset at its midnight, and the report's "today" starts there.
      const portalZone = async (memberId: string, client: PortalClient) => {
        const z = (await zones.get(memberId, client)).zone;
        return z.kind === 'iana' ? z.name : z.minutes;
      };
      const quota = new QuotaGate({ ledger: new QuotaLedgerRepository(ctx.db), portalZone });
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
