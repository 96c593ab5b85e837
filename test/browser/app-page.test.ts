import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import type { AppContext } from '../../src/context.ts';
import { JobRepository } from '../../src/db/repositories/jobs.ts';
import { waitFor } from '../helpers/context.ts';
import { appForm, type PortalsHarness, startPortals } from './harness.ts';
import { chromiumPath } from '../helpers/browser.ts';

/**
 * The settings page in a real browser: headless Chromium opens the portal emulator's host page,
 * which plays the portal's side of the frame protocol (window.name "DOMAIN|PROTOCOL|APP_SID",
 * the form POST, getInitData, resizeWindow, setTitle) and loads /app in an iframe.
 */
const CHROMIUM = chromiumPath();
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
];
const SHOTS = 'test-results';

const none = { at_capacity: [], unavailable: [] };

/** Today's decisions, job runs and a dead letter, so the dashboard has something to show. */
async function seed(ctx: AppContext, memberId: string) {
  const now = Date.now();
  // The page counts "today" from the browser's midnight: squeeze the last hour's story into
  // the time since midnight when the test runs just after it, keeping the order.
  const midnight = new Date(now).setHours(0, 0, 0, 0);
  const hour = Math.max(0, Math.min(60 * 60_000, now - midnight - 1000));
  const at = (minAgo: number) => now - Math.round((minAgo / 60) * hour);
  const rows: [string, 'dialog' | 'lead', string, number | null, unknown, number][] = [
    [
      'assign',
      'dialog',
      '1201',
      3,
      {
        rule: 'evenly',
        operatorId: 3,
        skipped: {
          at_capacity: [],
          unavailable: [
            { id: 5, why: 'offline' },
            { id: 4, why: 'paused' },
          ],
        },
      },
      50,
    ],
    ['assign', 'dialog', '1202', 6, { rule: 'strictly', operatorId: 6, skipped: none }, 44],
    [
      'assign',
      'lead',
      '1001',
      3,
      {
        rule: 'responsible_manager',
        operatorId: 3,
        skipped: none,
        responsible: { operatorId: 3, entity: 'contact' },
      },
      40,
    ],
    [
      'assign',
      'dialog',
      '1203',
      7,
      { rule: 'strictly', operatorId: 7, skipped: { at_capacity: [6], unavailable: [] } },
      31,
    ],
    [
      'pass_on',
      'dialog',
      '1202',
      7,
      {
        rule: 'pass_on',
        operatorId: 7,
        passOn: { fromId: 6, by: 'strictly', newRound: false },
        skipped: none,
      },
      25,
    ],
    ['assign', 'lead', '1002', 2, { rule: 'least_loaded', operatorId: 2, skipped: none }, 18],
    ['assign', 'dialog', '1204', 6, { rule: 'strictly', operatorId: 6, skipped: none }, 12],
    [
      'assign',
      'dialog',
      '1205',
      3,
      {
        rule: 'evenly',
        operatorId: 3,
        skipped: { at_capacity: [], unavailable: [{ id: 5, why: 'offline' }] },
      },
      6,
    ],
    [
      'wait',
      'dialog',
      '1206',
      null,
      {
        rule: 'wait',
        skipped: {
          at_capacity: [6, 7],
          unavailable: [
            { id: 8, why: 'absent' },
            { id: 9, why: 'dismissed' },
          ],
        },
      },
      2,
    ],
  ];
  for (const [action, kind, objectId, operatorId, reason, minAgo] of rows) {
    await ctx.assignmentLog.add({
      memberId,
      kind,
      objectId,
      queueId: kind === 'lead' ? 'leads:default' : 'line:2',
      action: action as 'assign',
      operatorId,
      reason,
      at: at(minAgo),
    });
  }
  const jobs = new JobRepository(ctx.db);
  for (const [job, status, summary, minAgo] of [
    ['sync', 'ok', { lines: 2, operators: 8, assigned: 1 }, 1],
    ['pass-on', 'ok', { passedOn: 1 }, 3],
    ['close-idle', 'failed', { error: 'imopenlines.operator.another.finish: ACCESS_DENIED' }, 55],
  ] as const) {
    const id = await jobs.startRun({
      job,
      memberId,
      runId: `seed-${job}`,
      startedAt: at(minAgo),
      dryRun: false,
    });
    await jobs.finishRun(id, status, at(minAgo) + 800, summary);
  }
  // An event no part of the app handles: the worker dead-letters it at once, as in production.
  await ctx.inbox.insertMany([
    {
      memberId,
      dedupKey: 'seed-dead-1',
      event: 'ONCRMCOMPANYADD',
      objectKey: 'company:1003',
      source: 'online',
      payload: {},
      receivedAt: at(20),
    },
  ]);
  ctx.worker.wake();
  await waitFor(async () => (await ctx.inbox.findByDedupKey('seed-dead-1'))?.state === 'dead', 'dead letter');
}

describe('the settings page in a browser', { timeout: 120_000 }, () => {
  let h: PortalsHarness;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
    mkdirSync(SHOTS, { recursive: true });
    h = await startPortals({ language: 'en' });
    await seed(h.app.ctx, h.a.memberId);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    // CSP violations and script errors of the app's page end up here.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    // Every failed request but the deliberately invalid settings below (400 from /api).
    page.on('response', (r) => {
      if (r.status() >= 400 && !(r.status() === 400 && new URL(r.url()).pathname.startsWith('/api/'))) {
        errors.push(`${r.status()} ${r.url()}`);
      }
    });
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  /** The app's frame inside the emulated portal page. */
  async function appFrame(): Promise<Frame> {
    const handle = await page.waitForSelector('#app-frame');
    const frame = await handle.contentFrame();
    assert.ok(frame);
    await frame.waitForLoadState();
    return frame;
  }

  it('loads in the portal frame, completes the handshake and shows the dashboard', async () => {
    await page.goto(h.a.frameUrl({ path: '/app', user: 1, lang: 'en', appBaseUrl: h.app.url }));
    const f = await appFrame();
    await f.waitForSelector('#dashboard');
    // The SDK from node_modules did the handshake: the portal got setTitle and a fitWindow height.
    await page.waitForFunction(
      () => document.getElementById('emu-title')?.textContent === 'Dialog and lead distribution',
    );
    await page.waitForFunction(() =>
      /^\d+px$/.test((document.getElementById('app-frame') as HTMLElement).style.height),
    );
    assert.equal(await f.getAttribute('body', 'data-frame'), 'ready');
    assert.match((await f.textContent('#viewer')) ?? '', /administrator/);

    const operators = await f.$$eval('#operators-card tr[data-operator] .op-name', (els) =>
      els.map((e) => e.textContent ?? ''),
    );
    assert.ok(
      operators.some((n) => n.includes('Egor Volkov')),
      operators.join('|'),
    );
    // Zakhar is absent and Irina dismissed: the dashboard says why they get nothing.
    const zakhar = await f.textContent('#operators-card tr[data-operator="8"]');
    assert.match(zakhar ?? '', /absent/);
    const irina = await f.textContent('#operators-card tr[data-operator="9"]');
    assert.match(irina ?? '', /dismissed/);
    // Today's chart: one bar per operator with assignments, dialogs and leads apart.
    assert.ok((await f.$$('#today-chart rect.bar-dialog')).length >= 3);
    const bars = await f.$$eval('#today-chart rect.bar-lead title', (els) => els.map((e) => e.textContent));
    assert.equal(bars.length, 2, bars.join('|'));
    const log = await f.textContent('#log-card');
    assert.match(log ?? '', /Passed on from Egor Volkov to Zhanna Morozova/);
    assert.match((await f.textContent('#jobs-card')) ?? '', /Close idle dialogs[\s\S]*failed/);
    assert.match((await f.textContent('#dead-card')) ?? '', /ONCRMCOMPANYADD[\s\S]*no handler/);
    // the inbox backlog tile: a count, labelled in the page's language
    assert.match((await f.textContent('#tile-backlog')) ?? '', /^\d+events to handle$/);
    // the installation's journal, for administrators: in words, never a token
    const security = (await f.textContent('#security-card')) ?? '';
    assert.match(security, /The portal confirmed the application token events are checked against/);
    assert.match(security, /The app was installed/);
    await page.screenshot({ path: `${SHOTS}/app-page-dashboard.png`, fullPage: true });
  });

  it('edits a line, previews the next dialogs, rejects a bad value and saves', async () => {
    const f = await appFrame();
    await f.click('button[data-tab="lines"]');
    await f.waitForSelector('#line-select');
    await f.selectOption('#line-select', '2');
    await f.waitForSelector('#line-summary');
    // The line's own settings are the default: strictly, its queue as the portal keeps it.
    assert.match((await f.textContent('#line-summary')) ?? '', /Strictly in order/);
    await f.waitForSelector('#whatif-result .whatif-item');

    await f.uncheck('#use-line-settings');
    await f.waitForSelector('#line-mode');
    await f.selectOption('#line-mode', 'evenly');
    // A limit of one open dialog each: Egor and Zhanna take one, the rest wait (Zakhar is
    // absent, Irina dismissed).
    await f.uncheck('#line-limit + label input');
    // A cleared limit is not "no limit": the server refuses it, the field says why.
    await f.fill('#line-limit', '');
    await f.click('#save');
    await f.waitForSelector('#line-form .nullable + .field-error');
    assert.equal(
      await f.textContent('#line-form .nullable:has(#line-limit) + .field-error'),
      'enter a number, or tick “no limit”',
    );
    assert.equal((await h.app.ctx.settings.line(h.a.memberId, 2)).useLineSettings, true);
    await f.fill('#line-limit', '1');
    await f.fill('#whatif-n', '4');
    // Two assignments, then one line for the two that would wait.
    await f.waitForFunction(() => {
      const items = Array.from(document.querySelectorAll('#whatif-result .whatif-item'));
      const wait = items.filter((i) => i.classList.contains('wait'));
      return items.length === 3 && wait.length === 1 && wait[0].textContent?.includes('×2');
    });
    const who = await f.$$eval('#whatif-result .whatif-who', (els) => els.map((e) => e.textContent));
    assert.deepEqual(who.slice(0, 2).sort(), ['Egor Volkov', 'Zhanna Morozova']);
    assert.match((await f.textContent('#whatif-result')) ?? '', /2 would wait/);

    // A weight of 0 is refused by the server's schema: the field says so and nothing is saved.
    await f.fill('tr[data-member="6"] input[data-path$=".weight"]', '0');
    await f.click('#save');
    await f.waitForSelector('#line-form .field-error');
    assert.match(
      (await f.textContent('#line-form .error-summary')) ?? '',
      /Please fix the highlighted fields/,
    );
    assert.equal((await h.app.ctx.settings.line(h.a.memberId, 2)).useLineSettings, true);
    assert.equal(await f.textContent('tr[data-member="6"] .field-error'), 'must be at least 1');
    await f.waitForSelector('#whatif-result .field-error');
    await page.screenshot({ path: `${SHOTS}/app-page-invalid.png`, fullPage: true });

    await f.fill('tr[data-member="6"] input[data-path$=".weight"]', '2');
    await f.click('#save');
    await f.waitForSelector('#notice.shown.ok');
    const saved = await h.app.ctx.settings.line(h.a.memberId, 2);
    assert.equal(saved.useLineSettings, false);
    assert.equal(saved.rules.mode, 'evenly');
    assert.equal(saved.rules.capacity.limit, 1);
    assert.equal(saved.rules.queue.find((m) => m.id === 6)?.weight, 2);
    await f.waitForSelector('#line-form .field-error', { state: 'detached' });
    await f.waitForSelector('#whatif-result .whatif-item');
    await page.screenshot({ path: `${SHOTS}/app-page-settings.png`, fullPage: true });

    // Back on the dashboard the line's new limit shows against each operator's load.
    await f.click('button[data-tab="dashboard"]');
    await f.waitForSelector('#dashboard');
    assert.match((await f.textContent('#operators-card tr[data-operator="6"]')) ?? '', /Support.*\/ 1/);
    await page.screenshot({ path: `${SHOTS}/app-page.png`, fullPage: true });
    assert.deepEqual(errors, [], 'no script error or CSP violation');
  });

  it('shows a non-admin the same page read-only, in Russian', async () => {
    await page.goto(h.a.frameUrl({ path: '/app', user: 3, lang: 'ru', appBaseUrl: h.app.url }));
    const f = await appFrame();
    await f.waitForSelector('#dashboard');
    assert.match((await f.textContent('#viewer')) ?? '', /только просмотр/);
    assert.equal(await f.textContent('button[data-tab="dashboard"]'), 'Сводка');
    assert.equal(await f.$('#security-card'), null, 'the installation journal is for administrators');
    await f.click('button[data-tab="leads"]');
    await f.waitForSelector('#leads-form');
    assert.equal(await f.$('#save'), null);
    assert.ok(await f.$eval('#leads-mode', (e) => (e as HTMLSelectElement).disabled));
    await f.waitForSelector('#whatif-result .whatif-item, #whatif-result .muted');
    assert.deepEqual(errors, []);
  });

  it('works opened outside Bitrix24, with no frame handshake at all', async () => {
    const q = new URLSearchParams({ ...appForm(h.a, 1), LANG: 'en' });
    const direct = await browser.newPage();
    try {
      await direct.goto(`${h.app.url}/app?${q}`);
      await direct.waitForSelector('#dashboard');
      assert.equal(await direct.getAttribute('body', 'data-frame'), null);
      assert.match((await direct.textContent('#today-card')) ?? '', /Vera Petrova/);
    } finally {
      await direct.close();
    }
  });

  it('after its session ends, goes back through the portal, which checks the viewer again', async () => {
    await page.goto(h.a.frameUrl({ path: '/app', user: 1, lang: 'en', appBaseUrl: h.app.url }));
    const f = await appFrame();
    await f.waitForSelector('#dashboard');
    // The portal drops the app: the page's token stops working at once.
    await h.app.ctx.store.markUninstalled(h.a.memberId, new Date());
    errors.length = 0;
    await f.click('button[data-tab="log"]');
    await f.waitForSelector('#notice.error #reload');
    assert.match((await f.textContent('#notice')) ?? '', /session has expired/);
    await f.click('#reload');
    // reloadWindow: the portal posts a fresh AUTH_ID to /app, which now refuses.
    await f.waitForSelector('#denied-message');
    assert.match((await f.textContent('#denied-message')) ?? '', /Open this page from Bitrix24/);
    errors.length = 0; // the 401 and 403 above were the point
  });
});
