// Issue 14: the same product on one SQLite file, on PostgreSQL, and as three instances on one
// PostgreSQL database behind a load balancer, side by side: intake, event → transfer, and a
// burst under the portal's real limit (nothing may be refused for rate).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, type PortalSeed, startEmulator } from 'b24-emulator';
import { type Balancer, startBalancer } from '../test/helpers/balancer.ts';
import { type ChildApp, freePort, startChildApp } from '../test/helpers/child-app.ts';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, waitFor } from '../test/helpers/context.ts';
import { dropStore, type StoreEnv } from '../test/helpers/store.ts';
import { type BenchModule, type BenchRow, percentile, round } from './harness.ts';
import { LoadClient } from './load.ts';
import { intakeBody } from './fixtures/intake-body.ts';

/** PostgreSQL for the bench: BENCH_DATABASE_URL, else what npm test uses. */
const PG_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://app:app@localhost:5432/app_test';

interface Setup {
  name: string;
  instances: number;
  store: 'sqlite' | 'postgres';
}
const SETUPS: Setup[] = [
  { name: '1 instance, SQLite', instances: 1, store: 'sqlite' },
  { name: '1 instance, PostgreSQL', instances: 1, store: 'postgres' },
  { name: '3 instances, PostgreSQL', instances: 3, store: 'postgres' },
];

function storeFor(s: Setup, dir: string): StoreEnv {
  const env: StoreEnv = { DATABASE_PATH: join(dir, 'app.sqlite') };
  if (s.store === 'postgres') {
    env.DATABASE_URL = PG_URL;
    env.DATABASE_SCHEMA = `bench_${Math.random().toString(36).slice(2, 10)}`;
  }
  return env;
}

// ---------------------------------------------------------------- intake

async function intakeServer(store: StoreEnv): Promise<{ port: number; child: ChildProcess }> {
  const { DATABASE_URL: _u, DATABASE_SCHEMA: _s, ...inherited } = process.env;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./fixtures/intake-server.ts', import.meta.url).pathname, 'app'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...inherited, ...store } },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)));
  });
  return { port, child };
}

/**
 * Closed loop, `concurrency` requests always in flight, spread over the instances as a
 * balancer would (each request to the next instance); accepted events per second.
 */
async function throughput(ports: number[], concurrency: number, ms: number): Promise<number> {
  const clients = ports.map((p) => new LoadClient(p, '/events', 'application/x-www-form-urlencoded'));
  let done = 0;
  let i = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const n = i++;
        await clients[n % clients.length]!.post(intakeBody(n));
        done++;
      }
    }),
  );
  for (const c of clients) c.close();
  return done / (ms / 1000);
}

/** Open loop at `perSec`; ack latencies in ms. */
async function ackLatency(ports: number[], perSec: number, ms: number): Promise<number[]> {
  const clients = ports.map((p) => new LoadClient(p, '/events', 'application/x-www-form-urlencoded'));
  const out: number[] = [];
  const total = Math.round((perSec * ms) / 1000);
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / perSec - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(clients[i % clients.length]!.post(intakeBody(2_000_000 + i)).then((l) => void out.push(l)));
  }
  await Promise.all(pending);
  for (const c of clients) c.close();
  return out;
}

async function drained(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (Number(await (await fetch(`http://127.0.0.1:${port}/bench/pending`)).text()) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function intake(s: Setup, ms: number): Promise<{ rps: number; p50: number; p99: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
  const store = storeFor(s, dir);
  const servers: { port: number; child: ChildProcess }[] = [];
  try {
    for (let i = 0; i < s.instances; i++) servers.push(await intakeServer(store));
    const ports = servers.map((x) => x.port);
    await throughput(ports, 16, 500);
    const rps = await throughput(ports, 32, ms);
    await drained(ports[0]!);
    const lat = await ackLatency(ports, 500, ms);
    return { rps, p50: percentile(lat, 50), p99: percentile(lat, 99) };
  } finally {
    // Gone before the next phase: a server still draining its backlog would load the machine
    // and the database under the next measurement.
    await Promise.all(
      servers.map(
        (x) =>
          new Promise<void>((resolve) => {
            if (x.child.exitCode !== null) return resolve();
            x.child.once('exit', () => resolve());
            x.child.kill('SIGKILL');
          }),
      ),
    );
    await dropStore(store);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- dialogs

const OPERATORS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true },
    ...OPERATORS.map((id) => ({ id, name: 'Operator', lastName: String(id) })),
  ],
  lines: [{ id: 1, name: 'Support', queue: OPERATORS, config: { QUEUE_TYPE: 'evenly' } }],
};

interface Running {
  emu: Emulator;
  lb: Balancer;
  apps: ChildApp[];
  /** when each chat's transfer reached the portal (performance.now()) */
  transferredAt: Map<number, number>;
  close(): Promise<void>;
}

/** The production server, `instances` times, on one store behind a balancer; installed. */
async function deployment(
  s: Setup,
  emulator: { rateLimit: { drainPerSec: number; burst: number } | false; latencyMs: number },
): Promise<Running> {
  const transferredAt = new Map<number, number>();
  const emu = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: emulator.rateLimit,
    latencyMs: emulator.latencyMs,
    timerIntervalMs: 0,
    language: 'en',
    seed: SEED,
    onCall: (c) => {
      if (/transfer/.test(c.method) && !c.error) {
        const chat = Number((c.params as Record<string, unknown>).CHAT_ID);
        if (!transferredAt.has(chat)) transferredAt.set(chat, performance.now());
      }
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-'));
  const store = storeFor(s, dir);
  const upstreams: string[] = [];
  const lb = await startBalancer(upstreams, { seed: 3 });
  const apps: ChildApp[] = [];
  const close = async () => {
    await lb.close();
    for (const a of apps) await a.stop();
    await emu.stop();
    await dropStore(store);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < s.instances; i++) {
      const app = await startChildApp({
        port: await freePort(),
        store,
        oauthServer: emu.url,
        env: { PUBLIC_URL: lb.url },
      });
      apps.push(app);
      upstreams.push(app.url);
    }
    const page = await emu.install({ appBaseUrl: lb.url });
    if (page.status !== 200) throw new Error(`install answered ${page.status}`);
    emu.finishInstall();
    await waitFor(
      () => [...emu.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y'),
      'bot attached',
      60_000,
    );
  } catch (err) {
    await close();
    throw err;
  }
  return { emu, lb, apps, transferredAt, close };
}

/** Client's first message → the transfer at the portal, one dialog at a time, 0-latency portal. */
async function eventToTransfer(s: Setup, n: number): Promise<{ p50: number; p99: number }> {
  const d = await deployment(s, { rateLimit: false, latencyMs: 0 });
  try {
    const took: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const { chatId } = d.emu.sim.clientWrites({ lineId: 1, clientKey: `lat-${i}`, text: 'Hello' });
      await waitFor(() => d.transferredAt.has(chatId), 'transferred', 30_000);
      took.push(d.transferredAt.get(chatId)! - t0);
      if (i % 5 === 4) d.emu.sim.closeDialog(chatId);
    }
    return { p50: percentile(took, 50), p99: percentile(took, 99) };
  } finally {
    await d.close();
  }
}

/** `n` dialogs at once under the portal's 2 req/s (burst 50), 100 ms answers. */
async function burst(s: Setup, n: number) {
  const d = await deployment(s, { rateLimit: { drainPerSec: 2, burst: 50 }, latencyMs: 100 });
  try {
    const t0 = performance.now();
    const chats: number[] = [];
    for (let i = 0; i < n; i++)
      chats.push(d.emu.sim.clientWrites({ lineId: 1, clientKey: `b-${i}`, text: 'Hi' }).chatId);
    // Not all transferred within 5 min is a figure (and a miss), not a crash of the whole run.
    await waitFor(() => chats.every((c) => d.transferredAt.has(c)), 'all transferred', 300_000).catch(
      () => undefined,
    );
    const seconds = (performance.now() - t0) / 1000;
    const missing = chats.filter((c) => !d.transferredAt.has(c));
    if (missing.length > 0) {
      const states = new Map<string, number>();
      for (const c of missing) {
        const session = [...d.emu.state.sessions.values()].filter((x) => x.chatId === c).at(-1);
        const k = session ? `${session.status}:${session.operatorId}` : 'no session';
        states.set(k, (states.get(k) ?? 0) + 1);
      }
      process.stderr.write(
        `burst (${s.name}): ${missing.length} not transferred; portal states ${JSON.stringify([...states])}\n`,
      );
    }
    await d.emu.idle();
    const transfers = d.emu.calls.filter((c) => /transfer/.test(c.method) && !c.error);
    return {
      seconds,
      missing: missing.length,
      refused: d.emu.calls.filter((c) => c.error === 'QUERY_LIMIT_EXCEEDED').length,
      requests: d.emu.httpRequests,
      twice:
        transfers.length - new Set(transfers.map((c) => (c.params as Record<string, unknown>).CHAT_ID)).size,
      served: d.apps.map((a) => d.lb.served.get(a.url) ?? 0).join(' / '),
    };
  } finally {
    await d.close();
  }
}

const bench: BenchModule = {
  title: 'Many instances, one store: SQLite, PostgreSQL, three instances on PostgreSQL (issue 14)',
  async run({ quick }) {
    const rows: BenchRow[] = [];
    for (const s of SETUPS) {
      const a = await intake(s, quick ? 2000 : 5000);
      const b = await eventToTransfer(s, quick ? 30 : 100);
      const c = await burst(s, quick ? 150 : 300);
      rows.push({
        case: s.name,
        figures: {
          'intake events/s': Math.round(a.rps),
          'ack p50 ms @500/s': round(a.p50),
          'ack p99 ms @500/s': round(a.p99),
          'event → transfer p50 ms': round(b.p50, 1),
          'event → transfer p99 ms': round(b.p99, 1),
          [`${quick ? 150 : 300} dialogs at 2 req/s: s to all transferred`]: round(c.seconds, 1),
          'dialogs not transferred within 5 min': c.missing,
          'requests refused for rate': c.refused,
          'transferred twice': c.twice,
          'requests per instance (balancer)': c.served,
        },
        target: 'all transferred, nothing refused for rate, nothing twice',
        met: c.refused === 0 && c.twice === 0 && c.missing === 0,
      });
    }
    return rows;
  },
};

export default bench;
