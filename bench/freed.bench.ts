import { type Emulator, type PortalSeed, startEmulator } from 'b24-emulator';
import { createJobsFeature, runnerFor } from '../src/jobs/feature.ts';
import { createLogger } from '../src/log/logger.ts';
import { createOpenLinesFeature } from '../src/openlines/feature.ts';
import type { OpenLinesService } from '../src/openlines/service.ts';
import { lineSettingsSchema } from '../src/settings/schema.ts';
import {
  FAST_RESTRICTIONS,
  startTestApp,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  waitFor,
} from '../test/helpers/context.ts';
import { type BenchModule, type BenchRow, percentile, round } from './harness.ts';
import { SoakProbe } from './soak-probe.ts';

/**
 * Freed capacity (issue 20, item 3): a place an operator frees goes to the oldest waiting dialog
 * of their lines within 5 s (p99), from the freed-place watch, not the next sync.
 *
 * Two full lines with dialogs always waiting, in real time, under the portal's 2 requests/s
 * (the emulator's bucket and the app's budget): line 1 counts every open dialog (a close frees a
 * place; an operator also goes on a break and comes back), line 2 counts only the unanswered
 * (the app's setting: an answer frees a place). Clients keep writing so that something always
 * waits; sync and pass-on run on their schedules. The probe (soak-probe.ts) sees each free on
 * the portal as it happens and the app's transfer to that operator on that line that ends it.
 */
const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Olga', lastName: 'Adams', admin: true },
    ...[2, 3, 4, 5, 6, 7].map((id) => ({ id, name: `Operator${id}`, lastName: 'Busy' })),
  ],
  lines: [
    {
      id: 1,
      name: 'Support',
      queue: [2, 3, 4],
      config: { QUEUE_TYPE: 'evenly', MAX_CHAT: '2', TYPE_MAX_CHAT: 'answered_new', CHECK_AVAILABLE: 'Y' },
    },
    { id: 2, name: 'Sales', queue: [5, 6, 7], config: { QUEUE_TYPE: 'evenly', CHECK_AVAILABLE: 'Y' } },
  ],
};

async function freed(seconds: number): Promise<BenchRow> {
  let emuRef: Emulator | null = null;
  const probe = new SoakProbe(() => emuRef!, Date.now, {
    leadLimit: 1e9,
    openStatuses: [],
    lineLimits: new Map([[2, { max: 2, counts: 'unanswered' as const }]]),
  });
  const emu = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: false,
    timerIntervalMs: 250,
    language: 'en',
    seed: SEED,
    onCall: (rec) => {
      if (emuRef) probe.onCall(rec);
    },
  });
  const app = await startTestApp({
    env: { B24_OAUTH_SERVER: emu.url, LOG_LEVEL: 'silent' },
    log: createLogger('silent'),
    features: [createJobsFeature({ schedule: false }), createOpenLinesFeature({ freedWatchMs: 2000 })],
    restrictions: FAST_RESTRICTIONS,
  });
  const ctx = app.ctx;
  const memberId = emu.memberId;
  await emu.install({ appBaseUrl: app.url });
  emu.finishInstall();
  await waitFor(
    () => [...emu.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y'),
    'bot',
    60_000,
  );
  // Line 2 by the app's rules: at most 2 unanswered dialogs each; an answer frees a place.
  await ctx.settings.write(
    memberId,
    'line:2',
    lineSettingsSchema,
    { useLineSettings: false, rules: { mode: 'evenly', capacity: { limit: 2, counts: 'not_yet_answered' } } },
    null,
  );
  await ctx.clients.get(memberId);
  ctx.clients.budgets!.of(memberId, { burst: 50, perSec: 2 });
  emu.setRateLimit({ drainPerSec: 2, burst: 50 });
  emuRef = emu;
  probe.watch();

  const svc = ctx.services.openlines as OpenLinesService;
  const runner = runnerFor(ctx);
  let n = 0;
  let rnd = 7;
  const random = () => {
    rnd = (rnd * 1103515245 + 12345) & 0x7fffffff;
    return rnd / 0x7fffffff;
  };
  const write = (lineId: number) => emu.sim.clientWrites({ lineId, clientKey: `c${++n}`, text: 'Hello' });
  // Both lines full, with a queue behind them.
  for (let i = 0; i < 14; i++) write(1 + (i % 2));

  const held = (lineId: number, answered?: boolean) =>
    [...emu.state.sessions.values()].filter(
      (s) =>
        s.lineId === lineId &&
        s.closedAt === null &&
        (s.status === 'assigned' || s.status === 'answered') &&
        (answered === undefined || (s.status === 'answered') === answered),
    );
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  let away: { id: number; until: number } | null = null;
  const start = Date.now();
  const tick = setInterval(() => {
    const now = Date.now();
    // About 1.2 frees a second (closes on line 1, answers on line 2), and 1.8 new clients: the
    // queues grow, so something always waits.
    if (random() < 0.15) {
      const s = pick(held(1));
      if (s) emu.sim.closeDialog(s.chatId);
    }
    if (random() < 0.15) {
      const s = pick(held(2, false));
      if (s) emu.sim.operatorWrites({ chatId: s.chatId, userId: s.operatorId, text: 'On it' });
    }
    if (random() < 0.1) {
      const s = pick(held(2, true));
      if (s) emu.sim.closeDialog(s.chatId);
    }
    if (random() < 0.45) write(random() < 0.5 ? 1 : 2);
    // Every ~8 s one of line 1 takes a 3-s break.
    if (!away && now - start > 3000 && random() < 0.03) {
      const id = pick([2, 3, 4])!;
      emu.sim.setUser(id, { timeman: 'PAUSED' });
      away = { id, until: now + 3000 };
    } else if (away && now >= away.until) {
      emu.sim.setUser(away.id, { timeman: 'OPENED' });
      away = null;
    }
  }, 250);
  const sampling = setInterval(() => {
    void (async () => {
      const rows = await ctx.db.all<{ line_id: number; n: number }>(
        "SELECT line_id, COUNT(*) AS n FROM ol_dialogs WHERE member_id = ? AND state = 'waiting' GROUP BY line_id",
        [memberId],
      );
      const members = new Map<number, readonly number[]>();
      for (const id of [1, 2]) members.set(id, (await svc.d.lines.get(memberId, id))?.queue ?? []);
      probe.sample(Date.now(), new Map(rows.map((r) => [Number(r.line_id), Number(r.n)])), members);
    })().catch(() => undefined);
  }, 250);
  const jobs = [
    setInterval(() => void runner.run('sync', { portal: memberId }).catch(() => undefined), 60_000),
    setInterval(() => void runner.run('pass-on', { portal: memberId }).catch(() => undefined), 15_000),
  ];
  await new Promise((r) => setTimeout(r, seconds * 1000));
  clearInterval(tick);
  clearInterval(sampling);
  for (const j of jobs) clearInterval(j);
  const budget = ctx.clients.budgets!.peek(memberId)!.report();
  await svc.idle();
  await app.close();
  await emu.stop();

  const ms = probe.handoffs.map((h) => h.ms);
  const of = (c: string) => probe.handoffs.filter((h) => h.cause === c).map((h) => h.ms);
  const p99 = (xs: number[]) => round(percentile(xs, 99) / 1000, 2);
  return {
    case: `two full lines, ${seconds} s real time, 2 req/s: frees by close, answer (line counting the unanswered), return from a break`,
    figures: {
      'freed places handed off': ms.length,
      'p50 s': round(percentile(ms, 50) / 1000, 2),
      'p99 s': p99(ms),
      'max s': round(Math.max(...ms) / 1000, 2),
      'close → transfer p99 s (n)': `${p99(of('close'))} (${of('close').length})`,
      'answer → transfer p99 s (n)': `${p99(of('answer'))} (${of('answer').length})`,
      'return → transfer p99 s (n)': `${p99(of('return'))} (${of('return').length})`,
      'taken otherwise / nothing left waiting': probe.droppedFrees,
      'requests by class (waited s): write / event / watch / background': (
        ['write', 'event', 'watch', 'background'] as const
      )
        .map((c) => `${budget.byClass[c].sent} (${round(budget.byClass[c].waitedMs / 1000, 1)})`)
        .join(' / '),
    },
    target: 'p99 ≤ 5 s',
    met: ms.length > 0 && percentile(ms, 99) <= 5000,
  };
}

const mod: BenchModule = {
  title: 'Freed capacity: a freed place → the transfer of a waiting dialog',
  async run({ quick }) {
    return [await freed(quick ? 20 : 120)];
  },
};
export default mod;
