import type { AssignmentLogRepository } from '../db/repositories/assignment-log.ts';
import type { DialogRepository } from '../db/repositories/dialogs.ts';
import type { OpenLinesRepository } from '../db/repositories/openlines.ts';
import type { QueueStateRepository } from '../db/repositories/queue-state.ts';
import type { Logger } from '../log/logger.ts';
import type { Manifest } from '../manifest.ts';
import type { OwnerHooks } from '../owner/hooks.ts';
import type { OperatorDirectory } from '../operators/index.ts';
import type { ClientFactory } from '../portal/client-pool.ts';
import type { SettingsService } from '../settings/service.ts';
import type { CrmLinks } from './crm-links.ts';
import type { LineDirectory } from './lines.ts';
import type { MoveClaims } from './move-claims.ts';
import type { QueueIndexes } from './queue-index.ts';
import type { WriteQueue } from './write-queue.ts';

/**
 * What the open-lines service is built from (feature.ts builds it). Every part of the service
 * (intake, placement, moves, outcomes, the waiting queue) reads the same deps, so this lives
 * apart from service.ts, which composes those parts.
 */
export interface OpenLinesDeps {
  dialogs: DialogRepository;
  repo: OpenLinesRepository;
  lines: LineDirectory;
  indexes: QueueIndexes;
  directory: OperatorDirectory;
  settings: SettingsService;
  queueState: QueueStateRepository;
  assignmentLog: AssignmentLogRepository;
  clients: ClientFactory;
  writes: WriteQueue;
  /** who may send a recorded move, and the mark that it may have been sent */
  claims: MoveClaims;
  crm: CrmLinks;
  manifest: Manifest;
  publicUrl: string;
  clock: () => number;
  log: Logger;
  /** the one-owner policy (ctx.services.owner), when loaded: told of every chat that changed hands */
  owner?: () => OwnerHooks | null;
}
