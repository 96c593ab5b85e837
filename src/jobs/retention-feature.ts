import type { Feature } from '../app-context.ts';
import { RetentionRepository, retentionFromDays } from '../db/repositories/retention.ts';

const HOUR = 3_600_000;

/**
 * Keeps the database from growing without end: once an hour the server deletes processed
 * events, closed dialogs, log rows and quota counts past their retention (src/db/repositories/retention.ts),
 * a bounded chunk at a time so a long backlog never holds the database for long.
 */
export const retentionFeature: Feature = {
  name: 'retention',
  register(ctx) {
    const repo = new RetentionRepository(ctx.db);
    const policy = retentionFromDays(ctx.config.retentionDays);
    /** One pass with the configured policy (the hourly timer's work; tests call it directly). */
    const pruneNow = () => repo.prune(ctx.clock(), policy);
    ctx.services.retention = { repo, pruneNow };
    let timer: NodeJS.Timeout | undefined;
    ctx.lifecycle.start.push(() => {
      if (!ctx.scheduleJobs) return;
      timer = setInterval(() => {
        pruneNow()
          .then((n) => {
            if (n.events + n.dialogs + n.log + n.quotas > 0) ctx.log.info({ deleted: n }, 'old rows deleted');
          })
          .catch((err) => ctx.log.warn({ err: (err as Error).message }, 'retention failed'));
      }, HOUR);
      timer.unref();
    });
    ctx.lifecycle.stop.push(() => {
      if (timer) clearInterval(timer);
    });
  },
};
