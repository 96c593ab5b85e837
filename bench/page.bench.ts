// The settings page: its bundle (raw and gzip), how long it takes to open (the app's POST /app to
// the dashboard with its charts drawn, in Chromium, first with an empty cache and then warm), and
// how long a change takes to show on an open dashboard over the live stream (target ≤ 2 s).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { PAGE_DIST_DIR, pageAssets } from '../src/web/page-assets.ts';
import { chromiumPath } from '../test/helpers/browser.ts';
import { appForm, startPortals } from '../test/browser/harness.ts';
import { seedPage } from '../test/browser/page-seed.ts';
import type { BenchModule, BenchRow } from './harness.ts';
import { percentile, round } from './harness.ts';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
];

function bundle(): BenchRow {
  const assets = pageAssets();
  if (!assets) throw new Error('the page is not built');
  const size = (url: string) => {
    const b = readFileSync(`${PAGE_DIST_DIR}${url.replace(/^\/page\//, '')}`);
    return { raw: round(b.length / 1024, 1), gzip: round(gzipSync(b, { level: 9 }).length / 1024, 1) };
  };
  const js = size(assets.script);
  const css = size(assets.style);
  return {
    case: 'bundle (dist/page)',
    figures: { 'JS KiB': js.raw, 'JS gzip KiB': js.gzip, 'CSS KiB': css.raw, 'CSS gzip KiB': css.gzip },
  };
}

const bench: BenchModule = {
  title: 'Settings page: bundle, opening, live updates',
  async run({ quick }) {
    execFileSync(process.execPath, ['scripts/build-if-stale.mjs', '--page'], { stdio: 'inherit' });
    const rows: BenchRow[] = [bundle()];
    const h = await startPortals({ language: 'en' });
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ARGS, headless: true });
    try {
      await seedPage(h.app.ctx, h.a.memberId);
      const opens = quick ? 3 : 10;
      const cold: number[] = [];
      const warm: number[] = [];
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
      for (let i = 0; i < opens; i++) {
        // a fresh browser context has an empty cache; the shared one keeps the hashed assets
        const fresh = await browser.newContext({ viewport: { width: 1360, height: 900 } });
        for (const [ctx, into] of [
          [fresh, cold],
          [context, warm],
        ] as const) {
          const page = await ctx.newPage();
          const q = new URLSearchParams({ ...appForm(h.a, 1), LANG: 'en' });
          const t0 = Date.now();
          await page.goto(`${h.app.url}/app?${q}`);
          await page.waitForSelector('#chart-assignments canvas');
          into.push(Date.now() - t0);
          await page.close();
        }
        await fresh.close();
      }
      rows.push(
        {
          case: `open: /app → dashboard with charts, empty cache (${opens} opens)`,
          figures: { 'p50 ms': percentile(cold, 50), 'max ms': Math.max(...cold) },
        },
        {
          case: `open: /app → dashboard with charts, assets cached (${opens} opens)`,
          figures: { 'p50 ms': percentile(warm, 50), 'max ms': Math.max(...warm) },
        },
      );

      const page = await context.newPage();
      const q = new URLSearchParams({ ...appForm(h.a, 1), LANG: 'en' });
      await page.goto(`${h.app.url}/app?${q}`);
      await page.waitForSelector('#live[data-state="live"]');
      const lags: number[] = [];
      for (let i = 0; i < (quick ? 5 : 20); i++) {
        const objectId = String(880_000 + i);
        const t0 = Date.now();
        await h.app.ctx.assignmentLog.add({
          memberId: h.a.memberId,
          kind: 'dialog',
          objectId,
          queueId: 'line:2',
          action: 'assign',
          operatorId: 7,
          reason: { rule: 'evenly', operatorId: 7, skipped: { at_capacity: [], unavailable: [] } },
          at: t0,
        });
        await page.waitForSelector(`#log-card [data-object="${objectId}"]`, { timeout: 15_000 });
        lags.push(Date.now() - t0);
        await page.waitForTimeout(300 + Math.round(Math.random() * 700));
      }
      const p95 = percentile(lags, 95);
      rows.push({
        case: `live: a new decision → shown on the open dashboard (${lags.length} changes)`,
        figures: { 'p50 ms': percentile(lags, 50), 'p95 ms': p95, 'max ms': Math.max(...lags) },
        target: '≤ 2,000 ms',
        met: Math.max(...lags) <= 2000,
      });
    } finally {
      await browser.close();
      await h.close();
    }
    return rows;
  },
};
export default bench;
