import type { RequestListener } from 'node:http';
import type { Router } from 'express';
import type { Instance } from './cluster/instance.ts';
import type { SnapshotWatch } from './cluster/snapshot-watch.ts';
import type { Config } from './config/index.ts';
import type { AssignmentLogRepository } from './db/repositories/assignment-log.ts';
import type { InboxRepository } from './db/repositories/inbox.ts';
import type { InstallationJournal } from './db/repositories/installation-security.ts';
import type { SqliteInstallationStore } from './db/repositories/installations.ts';
import type { QueueStateRepository } from './db/repositories/queue-state.ts';
import type { Store as Database } from './db/store.ts';
import type { InboxWriter } from './events/inbox-writer.ts';
import type { EventRouter } from './events/router.ts';
import type { InboxWorker } from './events/worker.ts';
import type { PortalJob } from './jobs/types.ts';
import type { Logger } from './log/logger.ts';
import type { Manifest } from './manifest.ts';
import type { ApplicationTokens } from './portal/application-token.ts';
import type { ClientPool } from './portal/client-pool.ts';
import type { InstallService } from './portal/install-service.ts';
import type { OAuthServer } from './portal/oauth-server.ts';
import type { SetupStep } from './portal/setup.ts';
import type { TokenRefresher } from './portal/token-refresher.ts';
import type { SettingsService } from './settings/service.ts';

// What every part of the product is given when it plugs in: the shared services below, and
// the places to add its own (events, setup steps, routes, jobs). The composition root
// (context.ts) builds it and is the only module that knows every part; parts import this
// file, never the root, so no part depends on the others through it.

/**
 * A part of the product (open lines, leads, jobs, settings page…) plugging into the app:
 * it adds event definitions, setup steps, routes and jobs. Features are registered before
 * the express app is built.
 */
export interface Feature {
  name: string;
  register(ctx: AppContext): void | Promise<void>;
}

/** Everything the server, the CLI, the tests and the demo share: built once, in one place. */
export interface AppContext {
  config: Config;
  log: Logger;
  clock: () => number;
  manifest: Manifest;
  db: Database;
  /** this process among all that share the store (cluster/instance.ts) */
  instance: Instance;
  /** notices other processes' changes to a portal's shared snapshots (cluster/snapshot-watch.ts) */
  watch: SnapshotWatch;
  store: SqliteInstallationStore;
  oauth: OAuthServer;
  refresher: TokenRefresher;
  clients: ClientPool;
  inbox: InboxRepository;
  writer: InboxWriter;
  router: EventRouter;
  worker: InboxWorker;
  install: InstallService;
  /** the portal-confirmed application token (application-token.ts) */
  tokens: ApplicationTokens;
  /** installs, refused installs, token changes, refused uninstalls */
  journal: InstallationJournal;
  settings: SettingsService;
  assignmentLog: AssignmentLogRepository;
  queueState: QueueStateRepository;
  setupSteps: SetupStep[];
  routers: Router[];
  jobs: Map<string, PortalJob>;
  /** anything a feature wants to share with another (e.g. the open-lines service) */
  services: Record<string, unknown>;
  /** called on start/stop by features with timers of their own */
  lifecycle: { start: (() => void | Promise<void>)[]; stop: (() => void | Promise<void>)[] };
  /** the process's one HTTP request listener (the event intake, then the express app) */
  app: RequestListener;
  /** whether ctx.start() runs the maintenance schedules */
  scheduleJobs: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}
