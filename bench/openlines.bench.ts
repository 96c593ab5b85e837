import { ParamsFactory } from '@bitrix24/b24jssdk';
import type { AppContext } from '../src/context.ts';
import { DialogRepository } from '../src/db/repositories/dialogs.ts';
import { type Emulator, type PortalSeed, startEmulator } from 'b24-emulator';
import { runnerFor } from '../src/jobs/feature.ts';
import { createOpenLinesFeature } from '../src/openlines/feature.ts';
import type { OpenLinesService } from '../src/openlines/service.ts';
import { createLogger } from '../src/log/logger.ts';
import { createJobsFeature } from '../src/jobs/feature.ts';
import {
  FAST_RESTRICTIONS,
  startTestApp,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  type TestApp,
  waitFor,
} from '../test/helpers/context.ts';
import { type BenchModule, type BenchRow, percentile, round } from './harness.ts';

const OPERATORS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true },
    ...OPERATORS.map((id) => ({ id, name: `Operator`, lastName: String(id) })),
  ],
  lines: [{ id: 1, name: 'Support', queue: OPERATORS, config: { QUEUE_TYPE: 'evenly', QUEUE_TIME: '60' } }],
};

interface Setup {
  emu: Emulator;
  app: TestApp;
  ctx: AppContext;
  svc: OpenLinesService;
  dialogs: DialogRepository;
  close(): Promise<void>;
}

async function setup(o: {
  clock?: () => number;
  rateLimit: { drainPerSec: number; burst: number } | false;
  restrictions: any;
}): Promise<Setup> {
  // The app's write pacing follows the portal's limit; with none, it has none either.
  const writeBudget = o.rateLimit
    ? { burst: o.rateLimit.burst, perSec: o.rateLimit.drainPerSec }
    : { burst: 1e6, perSec: 1e6 };
  const emu = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: false,
    timerIntervalMs: 0,
    language: 'en',
    seed: SEED,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  const app = await startTestApp({
    env: { B24_OAUTH_SERVER: emu.url, LOG_LEVEL: 'silent' },
    log: createLogger('silent'),
    features: [createJobsFeature({ schedule: false }), createOpenLinesFeature({ writeBudget })],
    restrictions: o.restrictions,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  const svc = app.ctx.services.openlines as OpenLinesService;
  const dialogs = new DialogRepository(app.ctx.db);
  await emu.install({ appBaseUrl: app.url });
  emu.finishInstall();
  await waitFor(
    () => [...emu.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y'),
    'bot attached',
    30_000,
  );
  const s: Setup = {
    emu,
    app,
    ctx: app.ctx,
    svc,
    dialogs,
    async close() {
      await app.close();
      await emu.stop();
    },
  };
  await settle(s);
  if (o.rateLimit) emu.setRateLimit(o.rateLimit);
  return s;
}

async function settle(s: Setup): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await s.emu.idle();
    await s.ctx.worker.drain();
    await s.svc.idle();
  }
}

/**
 * Steady load on a virtual clock: a dialog a second, each answered at once and closed after
 * three minutes; sync every minute and pass-on every 15 s, as the server schedules them. Every
 * REST request the portal receives counts, the jobs' included.
 */
async function steady(n: number): Promise<BenchRow> {
  let now = Date.now();
  const clock = () => now;
  const s = await setup({ clock, rateLimit: { drainPerSec: 2, burst: 50 }, restrictions: FAST_RESTRICTIONS });
  try {
    const runner = runnerFor(s.ctx);
    const job = async (name: string) => {
      await runner.run(name, { portal: s.emu.memberId, now });
      await settle(s);
    };
    // Warm-up minute so the figures are of the steady state, not the install.
    await job('sync');
    const open: { chatId: number; at: number }[] = [];
    const before = s.emu.httpRequests;
    let assigned = 0;
    for (let i = 0; i < n; i++) {
      now += 1000;
      const r = s.emu.sim.clientWrites({ lineId: 1, clientKey: `steady-${i}`, text: 'Hello' });
      await waitFor(() => OPERATORS.includes(s.emu.state.chats.get(r.chatId)!.ownerId), 'assigned', 10_000);
      assigned++;
      const owner = s.emu.state.chats.get(r.chatId)!.ownerId;
      s.emu.sim.operatorWrites({ chatId: r.chatId, userId: owner, text: 'Hi, how can I help?' });
      open.push({ chatId: r.chatId, at: now });
      while (open.length > 0 && now - open[0].at >= 180_000) s.emu.sim.closeDialog(open.shift()!.chatId);
      if ((i + 1) % 15 === 0) await job('pass-on');
      if ((i + 1) % 60 === 0) await job('sync');
      await settle(s);
    }
    const requests = s.emu.httpRequests - before;
    const perDialog = requests / assigned;
    return {
      case: `steady load: ${n} dialogs, 1/s, sync every minute, pass-on every 15 s`,
      figures: { 'requests/dialog': round(perDialog, 3), requests, dialogs: assigned },
      target: '≤ 1.1 (bound 1.0)',
      met: perDialog <= 1.1,
    };
  } finally {
    await s.close();
  }
}

/** Event receipt → transfer confirmed, one dialog at a time, 0-latency emulator. */
async function latency(n: number): Promise<BenchRow> {
  const s = await setup({ rateLimit: false, restrictions: FAST_RESTRICTIONS });
  try {
    const e2e: number[] = [];
    const since = Date.now();
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = s.emu.sim.clientWrites({ lineId: 1, clientKey: `lat-${i}`, text: 'Hello' });
      const chat = s.emu.state.chats.get(r.chatId)!;
      await waitFor(() => OPERATORS.includes(chat.ownerId), 'assigned', 10_000);
      e2e.push(performance.now() - t0);
      if (i % 5 === 4) s.emu.sim.closeDialog(r.chatId);
    }
    await settle(s);
    const logged = await s.ctx.assignmentLog.latencies(s.emu.memberId, since);
    return {
      case: `event → transfer, ${n} dialogs one at a time, 0-latency emulator`,
      figures: {
        'p50 ms': round(percentile(logged, 50), 1),
        'p99 ms': round(percentile(logged, 99), 1),
        'client write → owner p50 ms': round(percentile(e2e, 50), 1),
        'client write → owner p99 ms': round(percentile(e2e, 99), 1),
      },
      target: 'p99 ≤ 50 ms',
      met: percentile(logged, 99) <= 50,
    };
  } finally {
    await s.close();
  }
}

/** 500 dialogs at once under the portal's 2 req/s, burst 50 (and the SDK's own bucket). */
async function burst(n: number): Promise<BenchRow> {
  const s = await setup({
    rateLimit: { drainPerSec: 2, burst: 50 },
    restrictions: ParamsFactory.getDefault(),
  });
  try {
    const before = s.emu.httpRequests;
    const t0 = performance.now();
    const chats: number[] = [];
    for (let i = 0; i < n; i++)
      chats.push(s.emu.sim.clientWrites({ lineId: 1, clientKey: `b-${i}`, text: 'Hi' }).chatId);
    await waitFor(
      () => chats.every((c) => OPERATORS.includes(s.emu.state.chats.get(c)!.ownerId)),
      'all assigned',
      120_000,
    );
    const seconds = (performance.now() - t0) / 1000;
    await settle(s);
    const counts = await s.dialogs.countByState(s.emu.memberId);
    const transfers = s.emu.calls.filter((c) => /transfer/.test(c.method) && !c.error);
    const limited = s.emu.calls.filter((c) => c.error === 'QUERY_LIMIT_EXCEEDED').length;
    return {
      case: `${n} dialogs at once, portal limit 2 req/s burst 50`,
      figures: {
        'seconds to all assigned': round(seconds, 2),
        requests: s.emu.httpRequests - before,
        assigned: counts.assigned,
        'transfers (≥1 = twice)':
          transfers.length - new Set(transfers.map((c) => (c.params as any).CHAT_ID)).size,
        'rate-limit errors': limited,
      },
      target: '≤ 5 s, all assigned, none twice',
      met: seconds <= 5 && counts.assigned === n && transfers.length === n,
    };
  } finally {
    await s.close();
  }
}

const bench: BenchModule = {
  title: 'Open lines: REST cost, latency, burst',
  async run({ quick }) {
    return [await steady(quick ? 120 : 600), await latency(quick ? 60 : 300), await burst(500)];
  },
};

export default bench;
