import { InstallationNotFoundError } from '../errors.ts';
import type { InstallationStore } from './installation.ts';
import { type PortalClient, type RestrictionParams, SdkPortalClient, restrictionsFor } from './client.ts';
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
    return new SdkPortalClient(
      inst,
      this.clientId,
      this.refresher,
      this.restrictionsOverride ?? restrictionsFor(inst.ratePlan),
      this.limit,
    );
  }
}
