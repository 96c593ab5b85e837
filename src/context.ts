import type { Router } from 'express';
import type { AppContext, Feature } from './app-context.ts';
import type { Config } from './config/index.ts';
import { AssignmentLogRepository } from './db/repositories/assignment-log.ts';
import { InboxRepository } from './db/repositories/inbox.ts';
import { InstanceRepository } from './db/repositories/instances.ts';
import { OfflineEventsStatusRepository } from './db/repositories/offline-events-status.ts';
import { Instance } from './cluster/instance.ts';
import { SnapshotWatch } from './cluster/snapshot-watch.ts';
import { StoreVersionRepository } from './db/repositories/store-versions.ts';
import { QueueStateRepository } from './db/repositories/queue-state.ts';
import { SettingsRepository } from './db/repositories/settings.ts';
import { SqliteInstallationStore } from './db/repositories/installations.ts';
import { InstallationJournal, TokenCheckRepository } from './db/repositories/installation-security.ts';
import { migrate } from './db/migrate.ts';
import { openStore } from './db/open.ts';
import { InboxWriter } from './events/inbox-writer.ts';
import { intakeHandler } from './events/intake.ts';
import { SETUP_EVENT, setupDefinition, uninstallDefinition } from './events/lifecycle.ts';
import { EventRouter } from './events/router.ts';
import { InboxWorker, type WorkerOptions } from './events/worker.ts';
import type { PortalJob } from './jobs/types.ts';
import { createLogger, type Logger } from './log/logger.ts';
import { manifest } from './manifest.ts';
import { RestBudgets } from './portal/rest-priority.ts';
import { ClientPool } from './portal/client-pool.ts';
import { SharedRateLimit } from './portal/rate-limit.ts';
import { RateBucketRepository } from './db/repositories/rate-buckets.ts';
import type { RestrictionParams } from './portal/client.ts';
import { InstallationCache } from './portal/installation-cache.ts';
import { ApplicationTokens } from './portal/application-token.ts';
import { InstallService } from './portal/install-service.ts';
import { OAuthServer } from './portal/oauth-server.ts';
import { bindEventsStep } from './portal/setup.ts';
import { type TokenCheckStepOptions, tokenCheckStep } from './portal/token-check-step.ts';
import { TokenRefresher } from './portal/token-refresher.ts';
import { SettingsService } from './settings/service.ts';
import { createApp, requestListener } from './web/app.ts';
import { installRouter } from './web/install-route.ts';

export type { AppContext, Feature } from './app-context.ts';

export interface ContextOptions {
  config: Config;
  log?: Logger;
  clock?: () => number;
  fetch?: typeof fetch;
  /** per-portal REST limits for every portal (tests, demo); production uses each portal's plan */
  restrictions?: RestrictionParams;
  worker?: Partial<Omit<WorkerOptions, 'repo' | 'router' | 'clients' | 'log'>>;
  /** the features to load; defaults to all of them (src/features.ts) */
  features?: Feature[];
  /** how setup waits for the portal's confirmation of the application token */
  tokenCheck?: TokenCheckStepOptions;
  /** run the maintenance schedules on ctx.start() (the server, the demo); tests say false */
  scheduleJobs?: boolean;
}

export async function createContext(o: ContextOptions): Promise<AppContext> {
  const { config } = o;
  const log = o.log ?? createLogger(config.logLevel);
  const clock = o.clock ?? Date.now;
  const db = await openStore(config);
  await migrate(db);
  // Registered before anything can hold work in flight, so no other process takes it for dead.
  const instance = new Instance(new InstanceRepository(db), clock);
  await instance.start();
  const store = new SqliteInstallationStore(db);
  const oauth = new OAuthServer({
    baseUrl: config.oauthServer,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    allowHttp: config.allowHttp,
    fetch: o.fetch,
  });
  const refresher = new TokenRefresher(store, oauth, clock);
  // Until a portal's client is built its budget is the portal's default plan (the viewer check may come first).
  const budgets = new RestBudgets(() => ({ burst: 50, perSec: 2 }), clock);
  // The budget orders this process's requests by priority; the store's bucket is shared by every process.
  const rateLimit = new SharedRateLimit(new RateBucketRepository(db), { clock });
  const clients = new ClientPool(store, refresher, config.clientId, o.restrictions, budgets, rateLimit);
  const versions = new StoreVersionRepository(db);
  // Another process's install, uninstall or token change: this one's client is built afresh.
  const installations = new InstallationCache(store, {
    versions,
    changeMark: () => db.changeMark(),
    onChange: (m) => clients.forget(m),
  });
  const inbox = new InboxRepository(db);
  const writer = new InboxWriter(inbox);
  const router = new EventRouter();
  const worker = new InboxWorker({ repo: inbox, router, clients, log, clock, ...o.worker });
  const forget = (m: string) => {
    clients.forget(m);
    installations.invalidate(m);
  };
  const journal = new InstallationJournal(db);
  const tokens = new ApplicationTokens({
    store,
    checks: new TokenCheckRepository(db),
    journal,
    log,
    clock,
    forget,
  });
  const install = new InstallService({
    store,
    oauth,
    tokens,
    journal,
    log,
    clock,
    fetch: o.fetch,
    forget,
    afterInstall: async (memberId) => {
      await writer.enqueue({
        memberId,
        dedupKey: `${SETUP_EVENT}:${memberId}:${clock()}:${Math.random().toString(36).slice(2)}`,
        event: SETUP_EVENT,
        objectKey: 'portal',
        source: 'online',
        payload: { event: SETUP_EVENT },
        receivedAt: clock(),
      });
      worker.wake();
    },
  });

  const ctx = {
    config,
    log,
    clock,
    manifest,
    db,
    instance,
    watch: new SnapshotWatch(db, versions),
    store,
    oauth,
    refresher,
    clients,
    inbox,
    writer,
    router,
    worker,
    install,
    tokens,
    journal,
    settings: new SettingsService(new SettingsRepository(db), clock),
    assignmentLog: new AssignmentLogRepository(db),
    queueState: new QueueStateRepository(db),
    setupSteps: [tokenCheckStep(tokens, o.tokenCheck), bindEventsStep(new OfflineEventsStatusRepository(db))],
    routers: [] as Router[],
    jobs: new Map<string, PortalJob>(),
    services: {},
    lifecycle: { start: [], stop: [] },
    scheduleJobs: o.scheduleJobs ?? true,
  } as unknown as AppContext;

  router.on(uninstallDefinition(install));
  router.on(setupDefinition({ steps: ctx.setupSteps, publicUrl: config.publicUrl, manifest }));

  const features = o.features ?? (await import('./features.ts')).allFeatures;
  for (const f of features) await f.register(ctx);

  ctx.app = requestListener(
    intakeHandler({
      installations,
      router,
      writer,
      install,
      tokens,
      log,
      clock,
      onAccepted: () => worker.wake(),
    }),
    createApp({
      db,
      log,
      publicUrl: config.publicUrl,
      routers: [installRouter({ install, log }), ...ctx.routers],
    }),
  );
  let started = false;
  ctx.start = async () => {
    if (started) return;
    started = true;
    worker.start();
    for (const s of ctx.lifecycle.start) await s();
  };
  ctx.stop = async () => {
    for (const s of ctx.lifecycle.stop) await s();
    if (started) await worker.stop();
    started = false;
    await instance.stop();
    await db.close();
  };
  return ctx;
}
