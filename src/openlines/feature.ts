import type { AppContext, Feature } from '../app-context.ts';
import { ChatBreachRepository } from '../db/repositories/chat-breaches.ts';
import { DialogRepository } from '../db/repositories/dialogs.ts';
import { OpenLinesRepository } from '../db/repositories/openlines.ts';
import { OperatorRefusalRepository } from '../db/repositories/operator-refusals.ts';
import { QuotaLedgerRepository } from '../db/repositories/quota-ledger.ts';
import { PortalZones } from '../jobs/maintenance/portal-time.ts';
import { StoreVersionRepository } from '../db/repositories/store-versions.ts';
import { operatorDirectory } from '../operators/index.ts';
import type { SetupStep } from '../portal/setup.ts';
import { CrmLinks } from './crm-links.ts';
import { botEventDefinitions } from './events.ts';
import { LineDirectory } from './lines.ts';
import { MoveClaims } from './move-claims.ts';
import { PassOnJob } from './pass-on-job.ts';
import { QueueIndexes } from './queue-index.ts';
import { ownerHooksOf } from '../owner/hooks.ts';
import { OpenLinesService } from './service.ts';
import { FreedWatch } from './freed-watch.ts';
import { SyncJob } from './sync-job.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import { type RateBudget, WriteQueue } from './write-queue.ts';

export interface OpenLinesFeatureOptions {
  /** how long a lone transfer waits for company before its batch goes (ms) */
  writeWindowMs?: number;
  /** the portals' request budget; default: from each portal's plan (50 / 2 per s, Enterprise 250 / 5) */
  writeBudget?: RateBudget;
  /**
   * How often the freed-place watch looks (freed-watch.ts), ms; 0 = never. Default: every 2 s
   * where the context runs schedules (the server, the demo), never in tests (they drive tick()).
   */
  freedWatchMs?: number;
}

/**
 * Install: registers the bot and attaches it to every line. Idempotent: the bot is found by its
 * code before anything is registered, and only lines without it are updated.
 */
export function openLinesSetupStep(svc: OpenLinesService): SetupStep {
  return {
    name: 'openlines-bot',
    async run({ memberId, client, log }) {
      const botId = await svc.ensureBot(memberId, client);
      const r = await svc.d.lines.sync(memberId, client, botId);
      svc.d.indexes.invalidate(memberId);
      // Warm the availability cache so the first dialogs cost only their transfer.
      const ids = new Set((await svc.d.lines.all(memberId)).flatMap((l) => l.queue));
      if (ids.size > 0) await svc.d.directory.get(memberId, client, ids);
      log.info({ botId, lines: r.lines, attached: r.attached }, 'open lines set up');
    },
  };
}

/**
 * Open lines: the bot's events, the install step, the `sync` and `pass-on` jobs, and the
 * service others use (ctx.services.openlines).
 */
export function createOpenLinesFeature(o: OpenLinesFeatureOptions = {}): Feature {
  return {
    name: 'openlines',
    register(ctx: AppContext) {
      const directory = operatorDirectory(ctx);
      const dialogs = new DialogRepository(ctx.db);
      const repo = new OpenLinesRepository(ctx.db);
      const lines = new LineDirectory({
        repo,
        directory,
        manifest: ctx.manifest,
        clock: ctx.clock,
        log: ctx.log,
      });
      // A line's quota resets at the portal's midnight (line-quota.ts): its zone, read once and kept.
      const zones = new PortalZones({
        clock: ctx.clock,
        installingUser: async (memberId) => (await ctx.store.find(memberId))?.userId ?? null,
      });
      const indexes = new QueueIndexes({
        lines,
        directory,
        settings: ctx.settings,
        queueState: ctx.queueState,
        dialogs,
        refusals: new OperatorRefusalRepository(ctx.db),
        clock: ctx.clock,
        log: ctx.log,
        watch: ctx.watch,
        db: ctx.db,
        versions: new StoreVersionRepository(ctx.db),
        ledger: new QuotaLedgerRepository(ctx.db),
        async portalZone(memberId, client) {
          try {
            const z = (await zones.get(memberId, client)).zone;
            return z.kind === 'iana' ? z.name : z.minutes;
          } catch (err) {
            // A quota must not stop distribution: UTC's midnight until the next rebuild reads it again.
            ctx.log.warn(
              { memberId, err: (err as Error).message },
              'portal time zone unreadable; quotas use UTC',
            );
            return 0;
          }
        },
      });
      // Other processes' changes to the shared snapshots reach the indexes before a decision.
      directory.onChange((memberId, ids) => indexes.applyOperators(memberId, ids));
      ctx.watch.on('lines', (memberId) => {
        lines.forget(memberId);
        indexes.invalidate(memberId);
      });
      ctx.watch.on('settings', (memberId) => indexes.invalidate(memberId));
      const claims = new MoveClaims(dialogs, ctx.instance, ctx.clock);
      const writes = new WriteQueue({
        clients: ctx.clients,
        beforeSend: (_memberId, cmds) => claims.beforeSend(cmds),
        clock: ctx.clock,
        log: ctx.log,
        windowMs: o.writeWindowMs,
        budget: async (memberId) =>
          o.writeBudget ??
          ((await ctx.store.find(memberId))?.ratePlan === 'enterprise'
            ? { burst: 250, perSec: 5 }
            : { burst: 50, perSec: 2 }),
      });
      const service = new OpenLinesService({
        dialogs,
        repo,
        lines,
        indexes,
        directory,
        settings: ctx.settings,
        queueState: ctx.queueState,
        assignmentLog: ctx.assignmentLog,
        clients: ctx.clients,
        writes,
        claims,
        crm: new CrmLinks({ clock: ctx.clock, log: ctx.log }),
        manifest: ctx.manifest,
        publicUrl: ctx.config.publicUrl,
        clock: ctx.clock,
        log: ctx.log,
        owner: () => ownerHooksOf(ctx.services),
      });
      for (const def of botEventDefinitions(service)) ctx.router.on(def);
      ctx.setupSteps.push(openLinesSetupStep(service));
      ctx.jobs.set(
        'sync',
        new SyncJob(
          service,
          () => ctx.services.leads as { sync(j: JobContext): Promise<JobResult> } | undefined,
          () => ctx.services.absences as { sync(j: JobContext): Promise<JobResult> } | undefined,
        ),
      );
      ctx.jobs.set(
        'pass-on',
        new PassOnJob(
          service,
          () => ctx.services.leads as { firstTouch(j: JobContext): Promise<JobResult> } | undefined,
          {
            breaches: new ChatBreachRepository(ctx.db),
            language: async (memberId) => (await ctx.store.find(memberId))?.language,
          },
        ),
      );
      ctx.settings.onChange((memberId, scope) => {
        const line = /^line:(\d+)$/.exec(scope);
        if (!line && scope !== 'operators') return;
        indexes.invalidate(memberId, line ? Number(line[1]) : undefined);
        service.queue.kickDrain(memberId);
      });
      const watch = new FreedWatch(service, async () =>
        (await ctx.store.listActive()).map((i) => i.memberId),
      );
      ctx.lifecycle.start.push(async () => watch.start(o.freedWatchMs ?? (ctx.scheduleJobs ? 2000 : 0)));
      ctx.lifecycle.stop.push(async () => watch.stop());
      ctx.services.freedWatch = watch;
      ctx.lifecycle.start.push(async () => {
        // Decisions recorded before a crash are finished first.
        for (const memberId of await dialogs.portalsWithPending()) void service.moves.recover(memberId);
      });
      ctx.lifecycle.stop.push(async () => {
        await service.stop();
        await Promise.race([service.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
      });
      ctx.services.openlines = service;
    },
  };
}

export const openLinesFeature: Feature = createOpenLinesFeature();
