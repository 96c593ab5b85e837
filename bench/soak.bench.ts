import request from 'supertest';
import { type Emulator, startEmulator } from 'b24-emulator';
import { leadSettingsSchema } from '../src/settings/schema.ts';
import { createJobsFeature, runnerFor } from '../src/jobs/feature.ts';
import { createLeadsFeature } from '../src/crm/feature.ts';
import { createOpenLinesFeature } from '../src/openlines/feature.ts';
import type { OpenLinesService } from '../src/openlines/service.ts';
import { createWebFeature } from '../src/web/feature.ts';
import { createLogger } from '../src/log/logger.ts';
import { DemoScenario } from '../src/demo/scenario.ts';
import { demoSeed } from '../src/demo/seed.ts';
import { REST_CLASSES } from '../src/portal/rest-priority.ts';
import {
  FAST_RESTRICTIONS,
  startTestApp,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  waitFor,
} from '../test/helpers/context.ts';
import { type BenchModule, type BenchRow, percentile, round } from './harness.ts';

/**
 * Soak (issue 20, item 6): hours of portal time at the demo's default rates (20 dialogs and 4
 * leads a minute, src/demo/) under the portal's 2 requests/s, run faster than real time.
 *
 * How time is accelerated: one portal clock, `t0 + (real elapsed) × SCALE`, is injected into the
 * emulator (its timestamps and its leaky bucket: 2 req/s of portal time) and into the app (every
 * decision, the REST budget with priorities at 50 / 2 per portal second, the write queue's
 * budget). The demo's scenario steps every 250 portal-ms (so arrivals and operators' answers,
 * closes and breaks keep their portal-time rates), sync runs every 60 and pass-on every 15
 * portal-seconds, the freed-place watch every 2 portal-seconds. Not scaled: the app's internal
 * coalescing delays (a few real ms) and the SDK's own bucket (lifted; the app's budget paces).
 * SOAK_HOURS (default 2) and SOAK_SCALE (default 12: 2 h in 10 min) choose the run.
 */
const HOURS = Number(process.env.SOAK_HOURS ?? 2);
const SCALE = Number(process.env.SOAK_SCALE ?? 12);
const LEAD_LIMIT = 10;

async function soak(hours: number, scale: number): Promise<BenchRow[]> {
  const t0 = Date.now();
  const clock = () => t0 + (Date.now() - t0) * scale;
  const emu: Emulator = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: false,
    timerIntervalMs: Math.max(20, Math.round(1000 / scale)),
    language: 'en',
    seed: demoSeed('en'),
    clock,
  });
  const app = await startTestApp({
    env: { B24_OAUTH_SERVER: emu.url, LOG_LEVEL: 'silent' },
    log: createLogger('silent'),
    features: [
      createJobsFeature({ schedule: false }),
      createOpenLinesFeature({ writeBudget: { burst: 50, perSec: 2 }, freedWatchMs: 2000 / scale }),
      createLeadsFeature(),
      createWebFeature(),
    ],
    restrictions: FAST_RESTRICTIONS,
    clock,
  });
  const ctx = app.ctx;
  const memberId = emu.memberId;
  await emu.install({ appBaseUrl: app.url });
  emu.finishInstall();
  await waitFor(
    () => [...emu.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y'),
    'bot attached',
    60_000,
  );
  await ctx.settings.write(
    memberId,
    'leads',
    leadSettingsSchema,
    {
      rules: {
        mode: 'evenly',
        queue: [2, 3, 4, 5, 6, 7].map((id) => ({ id })),
        responsible: { enabled: true },
        capacity: { limit: LEAD_LIMIT },
      },
    },
    1,
  );
  // The portal's limit, in portal time, for every class of the app's requests.
  await ctx.clients.get(memberId);
  ctx.clients.budgets!.of(memberId, { burst: 50, perSec: 2 });
  emu.setRateLimit({ drainPerSec: 2, burst: 50 });
  emu.resetCalls();

  const rssStart = process.memoryUsage().rss;
  const scenario = new DemoScenario(emu, { rate: 20, leadRate: 4, lang: 'en', clock, scale });
  scenario.start(250);

  // Jobs on their schedules, in portal time; a run that overruns is followed by one more at once.
  const runner = runnerFor(ctx);
  const timers: NodeJS.Timeout[] = [];
  /** work still going (a job run, a sample, a page): waited for before the app closes */
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => undefined);
    return p;
  };
  let over = false;
  for (const [name, everySec] of [
    ['sync', 60],
    ['pass-on', 15],
  ] as const) {
    let running = false;
    let missed = false;
    const tick = async (): Promise<void> => {
      if (running) {
        missed = true;
        return;
      }
      if (over) return;
      running = true;
      await track(runner.run(name, { portal: memberId }).catch(() => undefined));
      running = false;
      if (missed && !over) {
        missed = false;
        await tick();
      }
    };
    timers.push(setInterval(() => void tick(), (everySec * 1000) / scale));
  }

  // Samples, every portal second.
  let freeNextToWaitingSec = 0;
  let dialogOver = 0;
  let maxLeadLoad = 0;
  let refused = 0;
  const lines = [...emu.state.lines.values()];
  const sample = setInterval(() => {
    if (!over) void track(takeSample().catch(() => undefined));
  }, 1000 / scale);
  const takeSample = async () => {
    refused += emu.calls.filter((c) => c.error === 'QUERY_LIMIT_EXCEEDED').length;
    emu.resetCalls();
    const open = new Map<string, number>();
    for (const s of emu.state.sessions.values()) {
      if (s.closedAt) continue;
      const owner = emu.state.chats.get(s.chatId)?.ownerId ?? 0;
      if (owner > 1 && !emu.state.bots.has(owner)) {
        const k = `${s.lineId}:${owner}`;
        open.set(k, (open.get(k) ?? 0) + 1);
      }
    }
    const waitingRows = await ctx.db.all<{ line_id: number }>(
      "SELECT line_id FROM ol_dialogs WHERE member_id = ? AND state = 'waiting'",
      [memberId],
    );
    const waitingLines = new Set(waitingRows.map((r) => r.line_id));
    const now = clock();
    for (const line of lines) {
      const max = Number(line.config.MAX_CHAT ?? 0) || Number.POSITIVE_INFINITY;
      const members = ctx.services.openlines
        ? ((await (ctx.services.openlines as OpenLinesService).d.lines.get(memberId, line.id))?.queue ?? [])
        : [];
      let free = false;
      for (const id of members) {
        const u = emu.state.users.get(id);
        const n = open.get(`${line.id}:${id}`) ?? 0;
        if (n > max) dialogOver++;
        const away =
          !u?.active ||
          !u.online ||
          u.timeman !== 'OPENED' ||
          (u.absentUntil && Date.parse(u.absentUntil) > now);
        if (!away && n < max) free = true;
      }
      if (free && waitingLines.has(line.id)) freeNextToWaitingSec++;
    }
    const leadLoads = new Map<number, number>();
    for (const l of emu.state.crm.leads.values())
      if (['NEW', 'IN_PROCESS', 'PROCESSED'].includes(l.stageId))
        leadLoads.set(l.assignedById, (leadLoads.get(l.assignedById) ?? 0) + 1);
    maxLeadLoad = Math.max(maxLeadLoad, ...leadLoads.values(), 0);
  };
  timers.push(sample);

  // The page, opened every 5 portal minutes.
  const pageMs: number[] = [];
  let pageFailures = 0;
  const openPage = async () => {
    const started = performance.now();
    const res = await request(ctx.app)
      .post('/app?LANG=en')
      .type('form')
      .send({
        AUTH_ID: emu.issueUserToken(1),
        AUTH_EXPIRES: '3600',
        member_id: memberId,
        PLACEMENT: 'DEFAULT',
      });
    if (res.status === 200) pageMs.push(performance.now() - started);
    else pageFailures++;
  };
  timers.push(setInterval(() => void track(openPage().catch(() => undefined)), (5 * 60_000) / scale));

  const realMs = (hours * 3600_000) / scale;
  await new Promise((r) => setTimeout(r, realMs));
  scenario.stop();
  over = true;
  for (const t of timers) clearInterval(t);
  while (inflight.size > 0) await Promise.allSettled([...inflight]);
  await openPage();
  const end = clock();

  const rows = await ctx.db.all<{ arrived_at: number; first_assigned_at: number | null; state: string }>(
    'SELECT arrived_at, first_assigned_at, state FROM ol_dialogs WHERE member_id = ?',
    [memberId],
  );
  const waits = rows
    .filter((r) => r.first_assigned_at !== null || r.state === 'waiting')
    .map((r) => ((r.first_assigned_at ?? end) - r.arrived_at) / 1000);
  const assigned = rows.filter((r) => r.first_assigned_at !== null).length;
  const budget = ctx.clients.budgets!.peek(memberId)!.report();
  const rssEnd = process.memoryUsage().rss;
  await (ctx.services.openlines as OpenLinesService).idle();
  await app.close();
  await emu.stop();

  const mb = (n: number) => round(n / 2 ** 20, 0);
  const figures: Record<string, number | string> = {
    'portal hours': hours,
    'time scale': scale,
    'dialogs started': scenario.counts.dialogs,
    'dialogs assigned': assigned,
    'waiting p50 s': round(percentile(waits, 50), 1),
    'waiting p99 s': round(percentile(waits, 99), 1),
    'free operator next to waiting, s': freeNextToWaitingSec,
    'requests refused for rate': refused,
    'dialog loads over limit (samples)': dialogOver,
    'largest lead load (limit 10)': maxLeadLoad,
    'page open p99 ms': round(percentile(pageMs, 99), 0),
    'page refusals': pageFailures,
    'RSS start MB': mb(rssStart),
    'RSS end MB': mb(rssEnd),
  };
  for (const c of REST_CLASSES) figures[`${c} requests`] = budget.byClass[c].sent;
  return [
    {
      case: `${hours} h of portal time at the demo's rates, ×${scale}`,
      figures,
      target: 'loads over limit 0; page opens; nothing refused',
      met: dialogOver === 0 && pageFailures === 0 && refused === 0,
    },
  ];
}

const mod: BenchModule = {
  title: 'Soak: a busy day under 2 req/s (accelerated portal time)',
  async run({ quick }) {
    return soak(quick ? 0.25 : HOURS, SCALE);
  },
};
export default mod;
