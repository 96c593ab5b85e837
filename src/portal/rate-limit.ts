import type { BucketTerms, RateBucketRepository } from '../db/repositories/rate-buckets.ts';

/**
 * Who is asking, for a later split of the bucket between kinds of work: a viewer's request
 * first, then writes, event reads, and background jobs. Today every class takes from the one
 * bucket alike, except that `background` may be given a reserve it must leave untouched.
 */
export type CallPriority = 'viewer' | 'write' | 'event' | 'background';

export interface RateLimitOptions {
  clock?: () => number;
  /** tokens a background call must leave in the bucket (default 0: none held back) */
  backgroundReserve?: number;
  /**
   * The share of the burst never used (default 10 %). A token is taken when a request leaves;
   * the portal counts it when it arrives. Requests of several processes (or of one busy host)
   * that leave evenly may arrive bunched, and a bucket kept exactly full would then be over
   * the portal's: this much room absorbs the bunching.
   */
  margin?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The portal's REST limit, shared by every process of every instance: each request to a
 * portal first takes a token from that portal's bucket row in the store (2 req/s with a burst
 * of 50, or 5/250 on Enterprise). The SDK's own bucket is opened wide (client.ts), so nothing
 * counts a request twice.
 */
export class SharedRateLimit {
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly buckets: RateBucketRepository,
    private readonly o: RateLimitOptions = {},
  ) {
    this.clock = o.clock ?? Date.now;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Waits until the portal's bucket gives this process a token. */
  async acquire(
    memberId: string,
    terms: Omit<BucketTerms, 'reserve'>,
    priority: CallPriority = 'event',
  ): Promise<void> {
    const margin = Math.max(1, Math.floor(terms.burst * (this.o.margin ?? 0.1)));
    const reserve = Math.max(margin, priority === 'background' ? (this.o.backgroundReserve ?? 0) : 0);
    for (;;) {
      const wait = await this.buckets.take(memberId, { ...terms, reserve }, this.clock());
      if (wait === 0) return;
      // Another process may take the token we waited for; a little jitter spreads the retries.
      await this.sleep(wait + Math.floor(Math.random() * 5));
    }
  }
}
