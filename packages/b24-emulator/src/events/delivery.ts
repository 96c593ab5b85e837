import { EVENT_DELIVERY_SERIAL_PER_URL, EVENT_DELIVERY_TIMEOUT_MS } from '../assumptions.ts';

/** One attempt of the event queue to call a handler. */
export interface DeliveryRecord {
  url: string;
  event: string;
  /** the raw request body exactly as sent */
  body: string;
  contentType: string;
  /** HTTP status of the handler's answer; 0 while pending, on network error/timeout, or when dropped */
  status: number;
  /** clock time the event was queued */
  at: number;
  outcome: 'pending' | 'delivered' | 'failed' | 'dropped';
  error?: string;
}

/**
 * The event queue's sending side: asynchronous (never inside the REST call that caused the
 * event), one attempt per event, no retries — a failure is recorded and the event is lost.
 */
export class DeliveryQueue {
  readonly records: DeliveryRecord[] = [];
  private readonly chains = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  onRecord?: (rec: DeliveryRecord) => void;

  constructor(
    private readonly clock: () => number,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly delayMs = 0,
  ) {}

  enqueue(
    url: string,
    event: string,
    body: string,
    contentType = 'application/x-www-form-urlencoded',
  ): DeliveryRecord {
    const rec: DeliveryRecord = {
      url,
      event,
      body,
      contentType,
      status: 0,
      at: this.clock(),
      outcome: 'pending',
    };
    this.records.push(rec);
    const previous = EVENT_DELIVERY_SERIAL_PER_URL
      ? (this.chains.get(url) ?? Promise.resolve())
      : Promise.resolve();
    const run = previous.then(() => this.send(rec));
    this.chains.set(url, run);
    this.pending.add(run);
    void run.finally(() => {
      this.pending.delete(run);
      if (this.chains.get(url) === run) this.chains.delete(url);
    });
    return rec;
  }

  /** Recorded but never sent (e.g. the app has not finished installing). */
  drop(url: string, event: string, body: string, reason: string): DeliveryRecord {
    const rec: DeliveryRecord = {
      url,
      event,
      body,
      contentType: 'application/x-www-form-urlencoded',
      status: 0,
      at: this.clock(),
      outcome: 'dropped',
      error: reason,
    };
    this.records.push(rec);
    this.onRecord?.(rec);
    return rec;
  }

  /** Resolves once nothing is in flight, including deliveries queued while waiting. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async send(rec: DeliveryRecord): Promise<void> {
    // Let the REST answer that caused the event leave first, as the real queue does.
    await new Promise((r) => setTimeout(r, this.delayMs));
    try {
      const res = await this.fetchImpl(rec.url, {
        method: 'POST',
        headers: { 'Content-Type': rec.contentType, 'User-Agent': 'Bitrix24 Event Queue (emulator)' },
        body: rec.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(EVENT_DELIVERY_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      rec.status = res.status;
      rec.outcome = res.status >= 200 && res.status < 300 ? 'delivered' : 'failed';
      if (rec.outcome === 'failed') rec.error = `HTTP ${res.status}`;
    } catch (e) {
      rec.outcome = 'failed';
      rec.error = e instanceof Error ? e.message : String(e);
    }
    this.onRecord?.(rec);
  }
}
