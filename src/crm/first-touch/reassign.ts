import type { WatchRow } from '../../db/repositories/first-touch.ts';
import type { LeadRepository } from '../../db/repositories/leads.ts';
import type { QueueStateRepository } from '../../db/repositories/queue-state.ts';
import { type Decision, type OpenLoad, passOn } from '../../engine/index.ts';
import { type OperatorDirectory, type OperatorInfo, toOperatorStates } from '../../operators/index.ts';
import type { PortalClient } from '../../portal/client.ts';
import type { LeadSettings } from '../../settings/schema.ts';
import type { SettingsService } from '../../settings/service.ts';
import { allQueues, DEFAULT_QUEUE, type LeadQueue } from '../policy.ts';
import { type QuotaGate, withQuotaSkips } from '../quota.ts';

export interface ReassignDeps {
  leads: LeadRepository;
  settings: SettingsService;
  queueState: QueueStateRepository;
  operators: OperatorDirectory;
  quota?: QuotaGate;
}

export interface NextHolder {
  queue: LeadQueue;
  decision: Decision;
  infos: Map<number, OperatorInfo>;
}

/**
 * Who a lead goes to when its holder missed the first-touch deadline: the next eligible person
 * by the lead queue's own rules (the engine's pass-on: strictly walks on in queue order, the
 * other modes apply their rule to everyone who has not had it this round), under the quota.
 * `stay` means nobody else can take it.
 */
export async function nextHolder(
  d: ReassignDeps,
  memberId: string,
  client: PortalClient,
  settings: LeadSettings,
  w: WatchRow,
  now: number,
): Promise<NextHolder> {
  const queue =
    allQueues(settings).find((q) => q.id === (w.queueId ?? DEFAULT_QUEUE)) ?? allQueues(settings)[0];
  const ids = new Set([...queue.rules.queue.map((m) => m.id), w.holderId]);
  const [infos, opSettings, queueState, counts] = await Promise.all([
    d.operators.get(memberId, client, ids),
    d.settings.operators(memberId),
    d.queueState.get(memberId, queue.id),
    d.leads.loads(memberId, [...ids], settings.openStatuses),
  ]);
  const quota = d.quota
    ? await d.quota.view(memberId, client, settings.quota, queue.rules, opSettings, now)
    : null;
  const loads = new Map<number, Partial<OpenLoad>>([...counts].map(([id, n]) => [id, { notAnswered: n }]));
  const states = toOperatorStates(ids, infos, { settings: opSettings, queue: queueState, loads });
  const decision = passOn(
    quota?.rules ?? queue.rules,
    states,
    {
      item: { id: Number(w.objectId), kind: 'lead', arrivedAt: w.arrivedAt },
      holderId: w.holderId,
      round: w.holders,
    },
    now,
  );
  const reason = { ...withQuotaSkips(decision.reason, quota?.over ?? []), detail: 'first_touch' };
  return { queue, decision: { ...decision, reason }, infos };
}
