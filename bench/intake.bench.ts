import { type ChildProcess, spawn } from 'node:child_process';
import { type BenchModule, type BenchRow, percentile, round } from './harness.ts';
import { intakeBody as body } from './fixtures/intake-body.ts';
import { LoadClient } from './load.ts';

async function startServer(mode: Mode): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./fixtures/intake-server.ts', import.meta.url).pathname, mode],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { port, child };
}

type Mode = 'node' | 'bare' | 'app';

/** Waits until the server's inbox has nothing left to process (the bare server has no inbox). */
async function drained(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/bench/pending`);
    if (r.status === 404 || Number(await r.text()) === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Closed loop: `concurrency` requests always in flight for `ms`; returns accepted events per second. */
async function maxThroughput(port: number, concurrency: number, ms: number): Promise<number> {
  const client = new LoadClient(port, '/events', 'application/x-www-form-urlencoded');
  let done = 0;
  let i = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await client.post(body(i++));
        done++;
      }
    }),
  );
  client.close();
  return done / (ms / 1000);
}

/** Open loop at a fixed rate: returns ack latencies in ms. */
async function fixedRate(port: number, perSec: number, ms: number): Promise<number[]> {
  const client = new LoadClient(port, '/events', 'application/x-www-form-urlencoded');
  const latencies: number[] = [];
  const total = Math.round((perSec * ms) / 1000);
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSec;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(client.post(body(1_000_000 + i)).then((l) => void latencies.push(l)));
  }
  await Promise.all(pending);
  client.close();
  return latencies;
}

const bench: BenchModule = {
  title: 'Event intake (verify + durable inbox + 200) vs a bare express handler',
  async run({ quick }) {
    const ms = quick ? 2000 : 5000;
    const rows: BenchRow[] = [];
    const results: Record<string, { rps: number; p50: number; p99: number; p99s: number[] }> = {};
    // The ack latency is measured in three 5-s windows and the middle window's p99 is reported
    // (with the range): on two shared cores one stall of the machine moves a single window's
    // p99 by several ms, for the bare handler as much as for the app.
    const windows = quick ? 1 : 3;
    for (const mode of ['node', 'bare', 'app'] as const) {
      const { port, child } = await startServer(mode);
      try {
        await maxThroughput(port, 16, 500); // warm-up
        const rps = await maxThroughput(port, 32, ms);
        // Latency at a steady 1,000 events/s, once the worker has drained the overload above
        // (otherwise the figure would measure that backlog, not the steady state).
        await drained(port);
        const all: number[] = [];
        const p99s: number[] = [];
        for (let w = 0; w < windows; w++) {
          const lat = await fixedRate(port, 1000, ms);
          all.push(...lat);
          p99s.push(percentile(lat, 99));
        }
        p99s.sort((a, b) => a - b);
        const p99 = p99s[Math.floor(p99s.length / 2)];
        results[mode] = { rps, p50: percentile(all, 50), p99, p99s };
      } finally {
        child.kill('SIGTERM');
      }
    }
    const ratio = results.app.rps / results.bare.rps;
    rows.push({
      case: "bare node handler (reference: node's http alone)",
      figures: {
        'events/s': Math.round(results.node.rps),
        'p50 ms @1000/s': round(results.node.p50),
        'p99 ms @1000/s': round(results.node.p99),
        'p99 of each window ms': results.node.p99s.map((x) => round(x)).join(' / '),
      },
    });
    rows.push({
      case: 'bare express handler',
      figures: {
        'events/s': Math.round(results.bare.rps),
        'p50 ms @1000/s': round(results.bare.p50),
        'p99 ms @1000/s': round(results.bare.p99),
        'p99 of each window ms': results.bare.p99s.map((x) => round(x)).join(' / '),
      },
    });
    rows.push({
      case: 'app intake',
      figures: {
        'events/s': Math.round(results.app.rps),
        'p50 ms @1000/s': round(results.app.p50),
        'p99 ms @1000/s': round(results.app.p99),
        'p99 of each window ms': results.app.p99s.map((x) => round(x)).join(' / '),
        'ratio to bare': round(ratio),
        'ratio to node': round(results.app.rps / results.node.rps),
      },
      target: '≥ 50 % of bare; p99 ≤ 10 ms at 1,000 events/s',
      met: ratio >= 0.5 && results.app.p99 <= 10,
    });
    return rows;
  },
};
export default bench;
