import pg from 'pg';

/** How long a dropped listening connection waits before it tries again. */
const RECONNECT_MS = 500;

/**
 * One connection of its own that LISTENs on a channel and hands each NOTIFY payload on. If
 * the connection drops, notices sent meanwhile are lost: `reset` tells the listener so (its
 * caches must be dropped), and the connection is made again until stop().
 */
export class PgListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onNotice: (notice: string) => void,
    private readonly reset: () => void,
  ) {}

  /** Resolves once the first LISTEN is in place (later reconnects happen in the background). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const c = new pg.Client({ connectionString: this.url });
    c.on('notification', (n) => {
      if (n.channel === this.channel && n.payload !== undefined) this.onNotice(n.payload);
    });
    let lost = false;
    const drop = () => {
      if (lost) return;
      lost = true;
      if (this.client === c) this.client = undefined;
      c.end().catch(() => undefined);
      this.reset();
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.connect().catch(() => drop());
      }, RECONNECT_MS);
      this.timer.unref();
    };
    c.on('error', drop);
    c.on('end', drop);
    await c.connect();
    await c.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    if (this.stopped) {
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
    // Whatever was announced before this LISTEN took effect was not heard.
    this.reset();
  }
}
