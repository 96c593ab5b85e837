// Issue 14: one instance (the production server, SQLite) keeping many installed portals synced
// every minute, as the schedule does: how late each minute's sync finishes, and the memory.
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, type PortalSeed, startEmulator } from 'b24-emulator';
import { Database } from '../src/db/sqlite.ts';
import { type ChildApp, freePort, startChildApp } from '../test/helpers/child-app.ts';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, waitFor } from '../test/helpers/context.ts';
import { type BenchModule, type BenchRow, percentile, round } from './harness.ts';

const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true },
    { id: 2, name: 'Boris', lastName: 'Ivanov' },
    { id: 3, name: 'Vera', lastName: 'Petrova' },
    { id: 4, name: 'Gleb', lastName: 'Sokolov' },
  ],
  lines: [{ id: 1, name: 'Support', queue: [2, 3, 4], config: { QUEUE_TYPE: 'evenly' } }],
};

/** The child's resident memory, MB (Linux). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
}

async function inBatches<T>(items: T[], size: number, fn: (x: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function keepSynced(portals: number, minutes: number, latencyMs: number): Promise<BenchRow> {
  const emus: Emulator[] = [];
  const first = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    latencyMs,
    timerIntervalMs: 0,
    language: 'en',
    seed: SEED,
  });
  emus.push(first);
  for (let i = 1; i < portals; i++) {
    emus.push(
      await startEmulator({
        app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
        oauth: first.oauth,
        latencyMs,
        timerIntervalMs: 0,
        language: 'en',
        seed: SEED,
      }),
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-portals-'));
  const databasePath = join(dir, 'app.sqlite');
  let app: ChildApp | undefined;
  try {
    // The production schedules (sync every minute, pass-on every 15 s, …), nothing changed.
    app = await startChildApp({
      port: await freePort(),
      store: { DATABASE_PATH: databasePath },
      oauthServer: first.url,
    });
    const pid = app.child.pid!;
    const t0 = performance.now();
    await inBatches(emus, 20, async (emu) => {
      const page = await emu.install({ appBaseUrl: app!.url });
      if (page.status !== 200) throw new Error(`install answered ${page.status}`);
      emu.finishInstall();
    });
    await waitFor(
      () => emus.every((e) => [...e.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y')),
      'every portal set up',
      30 * 60_000,
    );
    const installSeconds = (performance.now() - t0) / 1000;
    const rssStart = rssMb(pid);
    let rssMax = rssStart;
    const since = Date.now();
    // Whole minutes of the schedule, plus the first tick's wait and the last run's finish.
    const until = (Math.floor(since / 60_000) + minutes + 1) * 60_000 + 50_000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 5000));
      rssMax = Math.max(rssMax, rssMb(pid));
    }
    const rssEnd = rssMb(pid);
    const db = await Database.open(databasePath);
    let runs: { run_id: string; n: number; started: number; finished: number; failed: number }[];
    try {
      runs = await db.all(
        `SELECT run_id, COUNT(*) AS n, MIN(started_at) AS started, MAX(finished_at) AS finished,
                SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed
         FROM job_runs WHERE job = 'sync' AND member_id IS NOT NULL AND started_at >= ?
           AND run_id IN (SELECT run_id FROM job_runs WHERE job = 'sync' AND started_at < ?)
           AND run_id NOT IN (SELECT run_id FROM job_runs WHERE job = 'sync' AND started_at < ?)
         GROUP BY run_id ORDER BY started`,
        // Whole runs only: one under way when the measuring began is left out, and so is the one
        // due in the last minute, which has only 50 s left when the measuring stops.
        [since, until - 50_000, since],
      );
    } finally {
      await db.close();
    }
    // A run's lag: from the minute it was due to its last portal's finish.
    const lags = runs.map((r) => (r.finished - Math.floor(r.started / 60_000) * 60_000) / 1000);
    const complete = runs.filter((r) => r.n === portals);
    return {
      case: `1 instance (SQLite), ${portals} installed portals, sync every minute, portal answers in ${latencyMs} ms`,
      figures: {
        'install + set-up s': round(installSeconds, 0),
        'sync runs': runs.length,
        'runs covering every portal': complete.length,
        'portals failed': runs.reduce((a, r) => a + Number(r.failed), 0),
        'lag p50 s (due → last portal done)': round(percentile(lags, 50), 1),
        'lag max s': round(Math.max(...lags), 1),
        'RSS MB after set-up': rssStart,
        'RSS MB max': rssMax,
        'RSS MB end': rssEnd,
      },
      target: 'every run covers every portal and ends within its minute',
      met: complete.length === runs.length && runs.length >= minutes && Math.max(...lags) < 60,
    };
  } finally {
    await app?.stop();
    for (const e of emus) await e.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench: BenchModule = {
  title: 'One instance, many portals: the minute sync (issue 14)',
  async run({ quick }) {
    return [await keepSynced(quick ? 100 : 1000, quick ? 2 : 3, 50)];
  },
};

export default bench;
