import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../src/config/index.ts';
import { createContext } from '../src/context.ts';
import type { NewInboxRow } from '../src/db/repositories/inbox.ts';
import { createLogger } from '../src/log/logger.ts';
import { type BenchModule, type BenchRow, percentile, round } from './harness.ts';

/**
 * The inbox worker's fairness, with the worker as the app runs it (16 handlers, a portal at
 * most 12). Portal "import" has thousands of lead events whose handlers each wait their turn
 * at that portal's 2 requests a second, as a CRM import's would; meanwhile new dialogs arrive,
 * at another portal and at the importing portal itself. Measured: how long a dialog's event
 * waits from being stored to its handler starting.
 */
interface Waits {
  other: number[];
  own: number[];
  leadsDone: number;
  queued: number;
}

async function scenario(leads: number, seconds: number): Promise<Waits> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fair-'));
  // The importing portal's limit: one request every 500 ms, first come first served. At the
  // end the handlers still waiting are let go, so stopping does not wait out their turns.
  let nextSlot = 0;
  const waiting = new Map<NodeJS.Timeout, () => void>();
  const portalLimit = () => {
    const at = Math.max(Date.now(), nextSlot);
    nextSlot = at + 500;
    return new Promise<void>((r) => {
      const t = setTimeout(() => {
        waiting.delete(t);
        r();
      }, at - Date.now());
      waiting.set(t, r);
    });
  };
  const out: Waits = { other: [], own: [], leadsDone: 0, queued: 0 };
  const ctx = await createContext({
    config: loadConfig({
      B24_CLIENT_ID: 'bench',
      B24_CLIENT_SECRET: 'bench',
      DATABASE_PATH: join(dir, 'a.sqlite'),
    }),
    log: createLogger('silent'),
    scheduleJobs: false,
    features: [
      {
        name: 'bench-fairness',
        register(c) {
          c.router.on({
            event: 'ONBENCHEVENT',
            schema: z.object({ event: z.string(), kind: z.string(), id: z.string() }).passthrough(),
            objectKey: (b: any) => `${b.kind}:${b.id}`,
            async handle({ memberId, body, row }) {
              if (body.kind === 'lead') {
                await portalLimit();
                out.leadsDone++;
                return;
              }
              out[memberId === 'import' ? 'own' : 'other'].push(Date.now() - row.receivedAt);
            },
          });
        },
      },
    ],
  });
  const row = (memberId: string, kind: string, id: number): NewInboxRow => ({
    memberId,
    dedupKey: `${memberId}:${kind}:${id}`,
    event: 'ONBENCHEVENT',
    objectKey: `${kind}:${id}`,
    source: 'online',
    payload: { event: 'ONBENCHEVENT', kind, id: String(id) },
    receivedAt: Date.now(),
  });
  try {
    await ctx.inbox.insertMany(Array.from({ length: leads }, (_, i) => row('import', 'lead', i)));
    await ctx.start();
    // Two new dialogs a second at the other portal and one a second at the importing one.
    const end = Date.now() + seconds * 1000;
    for (let i = 0; Date.now() < end; i++) {
      await new Promise((r) => setTimeout(r, 500));
      const fresh = [row('other', 'chat', i)];
      if (i % 2 === 0) fresh.push(row('import', 'chat', i));
      await ctx.inbox.insertMany(fresh);
      ctx.worker.wake();
    }
    await new Promise((r) => setTimeout(r, 1500));
    const backlog = await ctx.inbox.backlog('import');
    out.queued = backlog.pending + backlog.processing;
    return { ...out };
  } finally {
    for (const [t, release] of waiting) {
      clearTimeout(t);
      release();
    }
    await ctx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fig = (xs: number[]) =>
  xs.length === 0
    ? { n: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN }
    : {
        n: xs.length,
        p50: round(percentile(xs, 50), 0),
        p99: round(percentile(xs, 99), 0),
        max: Math.max(...xs),
      };

const bench: BenchModule = {
  title: 'Inbox worker fairness: new dialogs during another portal’s (or their own portal’s) lead import',
  async run({ quick }) {
    const leads = quick ? 600 : 3000;
    const seconds = quick ? 4 : 8;
    const w = await scenario(leads, seconds);
    const other = fig(w.other);
    const own = fig(w.own);
    const rows: BenchRow[] = [
      {
        case: `another portal's new dialogs, while one portal has ${leads} lead events queued`,
        figures: {
          dialogs: other.n,
          'wait p50 ms': other.p50,
          'wait p99 ms': other.p99,
          'wait max ms': other.max,
          'import leads done meanwhile': w.leadsDone,
          'import events still queued': w.queued,
        },
        target: 'no wait behind the import (p99 ≤ 100 ms)',
        met: other.n > 0 && other.p99 <= 100,
      },
      {
        case: "the importing portal's own new dialogs",
        figures: { dialogs: own.n, 'wait p50 ms': own.p50, 'wait p99 ms': own.p99, 'wait max ms': own.max },
        target: 'at most one lead handler’s turn (p99 ≤ 600 ms)',
        met: own.n > 0 && own.p99 <= 600,
      },
    ];
    return rows;
  },
};
export default bench;
