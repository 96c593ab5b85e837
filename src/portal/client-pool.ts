import { InstallationNotFoundError } from '../errors.ts';
import type { InstallationStore } from './installation.ts';
import { type PortalClient, type RestrictionParams, SdkPortalClient, restrictionsFor } from './client.ts';
import { BudgetedClient } from './budgeted-client.ts';
import type { RestBudgets } from './rest-priority.ts';
import type { SharedRateLimit } from './rate-limit.ts';
import type { TokenRefresher } from './token-refresher.ts';

export interface ClientFactory {
  get(memberId: string): Promise<PortalClient>;
  forget(memberId: string): void;
}

/**
 * One client per portal for the life of the process, so its refresh merging sees every
 * request that portal gets from us; the token bucket is the store's (SharedRateLimit).
 */
export class ClientPool implements ClientFactory {
  private readonly clients = new Map<string, Promise<PortalClient>>();

  constructor(
    private readonly store: InstallationStore,
    private readonly refresher: TokenRefresher,
    private readonly clientId: string,
    /** tests and the demo may widen the bucket; production uses the portal's plan */
    private readonly restrictionsOverride?: RestrictionParams,
    /** the portals' REST budgets with priorities; every request of a client waits its turn there */
    readonly budgets?: RestBudgets,
    /** the portal's bucket in the store, shared with every other process */
    private readonly limit?: SharedRateLimit,
  ) {}

  get(memberId: string): Promise<PortalClient> {
    let c = this.clients.get(memberId);
    if (!c) {
      c = this.build(memberId);
      c.catch(() => this.clients.delete(memberId));
      this.clients.set(memberId, c);
    }
    return c;
  }

  forget(memberId: string): void {
    this.clients.delete(memberId);
  }

  private async build(memberId: string): Promise<PortalClient> {
    const inst = await this.store.find(memberId);
    if (inst?.status !== 'active') throw new InstallationNotFoundError(memberId);
    const restrictions = this.restrictionsOverride ?? restrictionsFor(inst.ratePlan);
    const client = new SdkPortalClient(inst, this.clientId, this.refresher, restrictions, this.limit);
    if (!this.budgets) return client;
    const rl = restrictions.rateLimit ?? { burstLimit: 50, drainRate: 2 };
    const budget = this.budgets.of(memberId, { burst: rl.burstLimit, perSec: rl.drainRate });
    return new BudgetedClient(client, budget);
  }
}
