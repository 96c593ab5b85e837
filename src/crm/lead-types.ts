import type { AssignmentLogRepository } from '../db/repositories/assignment-log.ts';
import type { LeadRepository } from '../db/repositories/leads.ts';
import type { QueueStateRepository } from '../db/repositories/queue-state.ts';
import type { Store } from '../db/store.ts';
import type { Logger } from '../log/logger.ts';
import type { OperatorDirectory } from '../operators/index.ts';
import type { BatchMerger } from '../portal/batch-merger.ts';
import type { BatchResult, Call, PortalClient } from '../portal/client.ts';
import type { SettingsService } from '../settings/service.ts';
import type { OwnerHooks } from '../owner/hooks.ts';
import type { DialogLookup } from './dialog-lookup.ts';
import { type CrmKind, LEAD_KIND } from './kind.ts';
import type { QuotaGate } from './quota.ts';

/** What the lead service and its parts (decision, write, updates, log) are built from. */
export interface LeadServiceDeps {
  leads: LeadRepository;
  settings: SettingsService;
  queueState: QueueStateRepository;
  assignmentLog: AssignmentLogRepository;
  operators: OperatorDirectory;
  /** the store's named locks: a portal's lead decisions take turns across every process */
  locks: Pick<Store, 'withLock'>;
  /** the portal's language (installation record) */
  language(memberId: string): Promise<string | undefined>;
  /** per-operator caps per day or shift (quota.ts); absent = none */
  quota?: QuotaGate;
  /** the open-lines part's dialog register, when loaded */
  dialogs(): DialogLookup | null;
  clock: () => number;
  log: Logger;
  /** how long after its own crm.item.update the app takes the next ONCRMLEADUPDATE for its echo */
  echoWindowMs?: number;
  /** what this service places: leads (the default) or deals (kind.ts) */
  kind?: CrmKind;
  /** deals: the lead register, for a deal converted from a lead the app placed */
  sourceLeads?: LeadRepository;
  /** the one-owner policy (ctx.services.owner), when loaded: told of responsibles changed outside the app */
  owner?: () => OwnerHooks | null;
  /** reads of leads asked while another is on its way go out in one batch (src/portal/batch-merger.ts) */
  reads?: BatchMerger;
}

/** A read batch, merged with others in flight when the deps have a merger. */
export function readBatch(
  d: LeadServiceDeps,
  client: PortalClient,
  calls: Record<string, Call>,
): Promise<BatchResult> {
  return d.reads ? d.reads.batch(client, calls) : client.batch(calls);
}

/** The kind a service built from `d` places. */
export function kindOf(d: Pick<LeadServiceDeps, 'kind'>): CrmKind {
  return d.kind ?? LEAD_KIND;
}

export type AddOutcome =
  | 'disabled'
  | 'already'
  | 'assigned'
  | 'waiting'
  | 'still_waiting'
  | 'skipped'
  | 'left'
  | 'gone'
  | 'superseded';

/** `owner`: an item outside the register whose new responsible the one-owner policy was told of. */
export type UpdateOutcome = 'disabled' | 'unknown' | 'own' | 'unchanged' | 'moved' | 'gone' | 'owner';

/** The echo of the app's own write arrives within seconds; two minutes leaves room for a slow event queue. */
export const ECHO_WINDOW_MS = 120_000;

/** A portal client, or a way to get one only when a request is actually needed. */
export type ClientSource = PortalClient | (() => Promise<PortalClient>);

export function resolveClient(c: ClientSource): Promise<PortalClient> {
  return typeof c === 'function' ? c() : Promise.resolve(c);
}
