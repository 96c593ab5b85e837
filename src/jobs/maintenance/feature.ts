import type { AppContext, Feature } from '../../app-context.ts';
import { MaintenanceRepository } from '../../db/repositories/maintenance.ts';
import { OpenLinesService } from '../../openlines/service.ts';
import { JobScheduler } from '../scheduler.ts';
import type { JobName } from '../types.ts';
import { CloseIdleJob } from './close-idle-job.ts';
import { PortalZones } from './portal-time.ts';
import { ReclaimDepartedJob } from './reclaim-job.ts';

export interface MaintenanceFeatureOptions {
  /** local hour (portal's zone) from which reclaim-departed does its daily work; default 3 */
  reclaimHour?: number;
  /** close-idle: histories read per portal and run at most; default 1000 */
  maxHistoryReads?: number;
  /**
   * Whether the current run of `job` is one the server's schedule started. Default: the jobs
   * feature's scheduler has a run of it going in this process (the CLI's never does).
   */
  isScheduled?: (job: JobName) => boolean;
}

/** The open-lines service the jobs move and close dialogs with; the open-lines feature provides it. */
function openLinesOf(ctx: AppContext): () => OpenLinesService {
  return () => {
    const svc = ctx.services.openlines;
    if (!(svc instanceof OpenLinesService)) throw new Error('the open-lines feature is not loaded');
    return svc;
  };
}

/**
 * The clean-up jobs: `reclaim-departed` (dialogs of dismissed staff and of staff no longer in
 * the line's queue go back to distribution; daily from 03:00 portal time) and `close-idle`
 * (hourly: no operator answer for 30 days, no client reply for 7 days, per line).
 */
export function createMaintenanceFeature(o: MaintenanceFeatureOptions = {}): Feature {
  return {
    name: 'maintenance',
    register(ctx) {
      const repo = new MaintenanceRepository(ctx.db);
      const openlines = openLinesOf(ctx);
      const isScheduled =
        o.isScheduled ??
        ((job: JobName) => {
          const s = ctx.services.jobScheduler;
          return s instanceof JobScheduler && s.isRunning(job);
        });
      const zones = new PortalZones({
        clock: ctx.clock,
        installingUser: async (memberId) => (await ctx.store.find(memberId))?.userId ?? null,
      });
      ctx.jobs.set(
        'reclaim-departed',
        new ReclaimDepartedJob({
          openlines,
          repo,
          zones,
          clock: ctx.clock,
          isScheduled: () => isScheduled('reclaim-departed'),
          hour: o.reclaimHour ?? ctx.config.reclaimHour,
        }),
      );
      ctx.jobs.set(
        'close-idle',
        new CloseIdleJob({ openlines, repo, clock: ctx.clock, maxHistoryReads: o.maxHistoryReads }),
      );
    },
  };
}

export const maintenanceFeature: Feature = createMaintenanceFeature();
