/**
 * The portal's leaky bucket (limits.md): every request adds 1, the level drains by
 * `drainPerSec` per second, and a request that would lift it above `burst` is refused.
 */
export interface RateLimitSettings {
  drainPerSec: number;
  burst: number;
}

export class LeakyBucket {
  private level = 0;
  private last: number;

  constructor(
    private settings: RateLimitSettings | false,
    private readonly clock: () => number,
  ) {
    this.last = clock();
  }

  configure(settings: RateLimitSettings | false): void {
    this.drain();
    this.settings = settings;
  }

  /** true when the request may go ahead (and is counted). */
  take(): boolean {
    if (!this.settings) return true;
    this.drain();
    if (this.level + 1 > this.settings.burst) return false;
    this.level += 1;
    return true;
  }

  get currentLevel(): number {
    this.drain();
    return this.level;
  }

  reset(): void {
    this.level = 0;
    this.last = this.clock();
  }

  private drain(): void {
    const now = this.clock();
    if (this.settings) {
      const elapsed = Math.max(0, now - this.last) / 1000;
      this.level = Math.max(0, this.level - elapsed * this.settings.drainPerSec);
    }
    this.last = now;
  }
}
