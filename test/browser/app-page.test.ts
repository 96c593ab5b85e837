import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { DialogRepository } from '../../src/db/repositories/dialogs.ts';
import type { LiveHub } from '../../src/web/live-hub.ts';
import { runnerFor } from '../../src/jobs/feature.ts';
import { waitFor } from '../helpers/context.ts';
import { chromiumPath } from '../helpers/browser.ts';
import { appForm, type PortalsHarness, startPortals } from './harness.ts';
import { seedPage } from './page-seed.ts';
import { seedSpeed } from './speed-seed.ts';
import { overflowX, rawTexts } from './page-words.ts';

/**
 * The settings page in a real browser: headless Chromium opens the portal emulator's host page,
 * which plays the portal's side of the frame protocol (window.name "DOMAIN|PROTOCOL|APP_SID",
 * the form POST, getInitData, resizeWindow, setTitle) and loads /app in an iframe. The
 * screenshots in docs/screenshots/ (shown in the README) are taken here, on every run.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
];
const SHOTS = 'docs/screenshots';
const VIEWS = ['dashboard', 'lines', 'leads', 'deals', 'operators', 'absences', 'log'] as const;

describe('the settings page in a browser', { timeout: 180_000 }, () => {
  let h: PortalsHarness;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    const executablePath = chromiumPath();
    mkdirSync(SHOTS, { recursive: true });
    h = await startPortals({ language: 'en' });
    await seedPage(h.app.ctx, h.a.memberId);
    await seedSpeed(h.app.ctx, h.a.memberId);
    browser = await chromium.launch({ executablePath, args: ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    // CSP violations and script errors of the app's page end up here.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    // Every failed request but the deliberately invalid settings below (400 from /api).
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.status() >= 400 && !(r.status() === 400 && path.startsWith('/api/')) && path !== '/favicon.ico') {
        errors.push(`${r.status()} ${r.url()}`);
      }
    });
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  /** Opens the app for `user` in the emulated portal; the app's frame once the dashboard shows. */
  async function open(user: number, lang: 'en' | 'ru'): Promise<Frame> {
    await page.goto(h.a.frameUrl({ path: '/app', user, lang, appBaseUrl: h.app.url }));
    const handle = await page.waitForSelector('#app-frame');
    const frame = await handle.contentFrame();
    assert.ok(frame);
    await frame.waitForSelector('#dashboard');
    return frame;
  }
  /** A UI-kit select: its trigger, then the option with this text. */
  async function choose(f: Frame, trigger: string, option: string) {
    await f.click(trigger);
    // By the keyboard, as a viewer may: the list can open past the frame's fitted height, where
    // no pointer reaches it.
    const item = f.locator('[role="option"]', { hasText: option }).first();
    await item.focus();
    await item.press('Enter');
    await f.waitForSelector('[role="listbox"]', { state: 'detached' });
  }
  async function tab(f: Frame, name: (typeof VIEWS)[number]) {
    await f.click(`[data-tab="${name}"]`);
    await f.waitForSelector(`#${name}-view`);
  }
  /** A view with its data in (the live stream keeps the network busy: no "network idle" to wait for). */
  async function loaded(f: Frame | Page, v: (typeof VIEWS)[number]) {
    const ready = {
      dashboard: '#charts-card .charts',
      lines: '#whatif-result .whatif-item, #whatif-result .muted',
      leads: '#leads-form',
      deals: '#deals-form',
      operators: '#operators-form',
      absences: '#covers-card [data-covers="now"]',
      log: '#log-results .log-entry',
    }[v];
    await f.waitForSelector(ready);
    // The speed-to-lead card reads its own endpoint: its words are walked too.
    if (v === 'dashboard') await f.waitForSelector('#speed-card .speed');
  }
  /** Every view of the page, each checked for text that is not words. */
  async function walk(f: Frame, lang: string) {
    for (const v of VIEWS) {
      await tab(f, v);
      await loaded(f, v);
      assert.deepEqual(await rawTexts(f), [], `${lang} ${v}: every text is a word`);
    }
  }

  it('loads in the portal frame, completes the handshake and says everything in words', async () => {
    const f = await open(1, 'en');
    // The SDK from node_modules did the handshake: the portal got setTitle and a fitWindow height.
    await page.waitForFunction(
      () => document.getElementById('emu-title')?.textContent === 'Dialog and lead distribution',
    );
    await page.waitForFunction(() =>
      /^\d+px$/.test((document.getElementById('app-frame') as HTMLElement).style.height),
    );
    assert.equal(await f.getAttribute('body', 'data-frame'), 'ready');
    assert.match((await f.textContent('#viewer')) ?? '', /administrator/);

    const zakhar = await f.textContent('#operators-card [data-operator="8"]');
    assert.match(zakhar ?? '', /absent/);
    const irina = await f.textContent('#operators-card [data-operator="9"]');
    assert.match(irina ?? '', /dismissed/);
    assert.match((await f.textContent('#today-card')) ?? '', /Vera Petrova/);
    const log = (await f.textContent('#log-card')) ?? '';
    assert.match(log, /Passed on from Egor Volkov to Zhanna Morozova/);
    // a lead left alone, in words (it showed as raw JSON before)
    assert.match(log, /Left alone: the lead came from a dialog the app already gave to Gleb Sokolov/);
    assert.match(log, /Closed as idle: no operator answered for 30 days/);
    // job results: counters in words (they showed as counter names before), a failure by its kind
    const jobs = (await f.textContent('#jobs-card')) ?? '';
    assert.match(jobs, /Close idle dialogs[\s\S]*failed[\s\S]*the portal refused: the app has no access/);
    assert.match(jobs, /Sync[\s\S]*lines read: 2/);
    assert.match(
      (await f.textContent('#dead-card')) ?? '',
      /A contact was created[\s\S]*no part of the app handles this event/,
    );
    assert.match((await f.textContent('#tile-backlog')) ?? '', /^\s*\d+\s*events to handle\s*$/);
    // What the app cannot see, said on the dashboard in words (the server's, RU/EN).
    assert.match((await f.textContent('#dashboard .notes')) ?? '', /Offline events are unavailable/);
    const security = (await f.textContent('#security-card')) ?? '';
    assert.match(security, /The portal confirmed the application token events are checked against/);
    assert.match(security, /The app was installed/);
    // Charts over time: drawn (uPlot canvases), the first-answer figures also as a table.
    await f.waitForSelector('#chart-assignments canvas');
    await f.waitForSelector('#chart-waiting canvas');
    assert.match(
      (await f.textContent('#chart-first-answer tr[data-line="1"]')) ?? '',
      /Sales\s*50 s\s*4 min\s*5/,
    );
    await f.click('#chart-range [data-range="week"]');
    await f.waitForSelector('.charts[data-range="week"] #chart-assignments canvas');
    await (await f.$('#charts-card'))!.screenshot({ path: `${SHOTS}/app-page-charts.png` });
    await page.screenshot({ path: `${SHOTS}/app-page.png`, fullPage: true });
    await walk(f, 'en');
    assert.deepEqual(errors, [], 'no script error or CSP violation');
  });

  it('shows speed to lead as charts: time to first contact per operator and queue, missed deadlines in words', async () => {
    const f = await open(1, 'en');
    await f.waitForSelector('#speed-card .speed[data-range="today"]');
    await f.waitForSelector('#speed-operators canvas');
    await f.waitForSelector('#speed-lines canvas');
    const ops = (await f.textContent('#speed-operators .speed-table')) ?? '';
    assert.match(ops, /Vera Petrova\s*2 min\s*10 min\s*2\s*1/);
    assert.doesNotMatch(ops, /Egor Volkov/, 'three days ago is not today');
    assert.match(
      (await f.textContent('#speed-lines .speed-table')) ?? '',
      /Default lead queue\s*2 min\s*10 min\s*2\s*1/,
    );
    assert.match((await f.textContent('#speed-missed')) ?? '', /First-touch deadlines missed: 1/);
    assert.match(
      (await f.textContent('#speed-breaches')) ?? '',
      /First-touch deadline missed \(1st time\): Vera Petrova did not contact the client "Olga" within 15 min/,
    );
    // Open lines: the line's missed first-answer deadline, counted and in words.
    const chats = (await f.textContent('#speed-chats')) ?? '';
    assert.match(chats, /Open lines: missed first-answer deadlines\s*Line\s*Missed\s*Sales\s*1/);
    assert.match(chats, /Vera Petrova did not answer "Ivan" within 1 min.*passed on to Egor Volkov/);
    await f.click('[data-speed-range="week"]');
    await f.waitForSelector('#speed-card .speed[data-range="week"]');
    assert.match(
      (await f.textContent('#speed-operators .speed-table')) ?? '',
      /Egor Volkov\s*4 min\s*4 min\s*1\s*0/,
    );
    await (await f.$('#speed-card'))!.screenshot({ path: `${SHOTS}/app-page-speed.png` });
    assert.deepEqual(errors, []);
  });

  it('follows changes live without reloading, says it is live, and reconnects after a break', async () => {
    const f = await open(1, 'en');
    await f.waitForSelector('#live[data-state="live"]');
    assert.match((await f.textContent('#live')) ?? '', /Live/);
    let navigations = 0;
    const count = (fr: Frame) => {
      if (fr === f) navigations++;
    };
    page.on('framenavigated', count);
    try {
      const change = async (objectId: string) => {
        await h.app.ctx.assignmentLog.add({
          memberId: h.a.memberId,
          kind: 'dialog',
          objectId,
          queueId: 'line:2',
          action: 'assign',
          operatorId: 7,
          reason: { rule: 'evenly', operatorId: 7, skipped: { at_capacity: [], unavailable: [] } },
          at: Date.now(),
        });
      };
      // A decision made now shows on the open dashboard by itself (the page's own refresh is a
      // minute apart, so this is the live line at work).
      await change('77001');
      await f.waitForSelector('#log-card [data-object="77001"]', { timeout: 10_000 });
      // The line breaks (the server ends every stream): the page says so, comes back, and
      // catches up with what happened meanwhile.
      (h.app.ctx.services.liveHub as LiveHub).stop();
      await f.waitForSelector('#live[data-state="reconnecting"]');
      await change('77002');
      await f.waitForSelector('#live[data-state="live"]');
      await f.waitForSelector('#log-card [data-object="77002"]', { timeout: 10_000 });
      await change('77003');
      await f.waitForSelector('#log-card [data-object="77003"]', { timeout: 10_000 });
      assert.equal(navigations, 0, 'the page never reloaded');
    } finally {
      page.off('framenavigated', count);
    }
    assert.deepEqual(errors, []);
  });

  it('edits a line, previews the next dialogs, refuses a bad value next to its field, saves, and the next dialog follows', async () => {
    const f = await open(1, 'en');
    await tab(f, 'lines');
    await choose(f, '#line-select', 'Support');
    await f.waitForSelector('#line-summary');
    // The line's own settings are the default: strictly, its queue as the portal keeps it.
    assert.match((await f.textContent('#line-summary')) ?? '', /Strictly in order/);
    await f.waitForSelector('#whatif-result .whatif-item');

    await f.click('#use-line-settings');
    await f.waitForSelector('#line-mode');
    await choose(f, '#line-mode', 'Evenly');
    // The line sends known clients to their CRM manager; the app's rules here do not.
    const responsible = '[data-field="rules.responsible.enabled"] button[role="switch"]';
    if ((await f.getAttribute(responsible, 'aria-checked')) === 'true') await f.click(responsible);
    // A limit of one open dialog each: Egor and Zhanna take one, the rest wait (Zakhar is
    // absent, Irina dismissed).
    await f.click('#line-limit-none');
    // A cleared limit is not "no limit": the server refuses it, the field says why.
    await f.fill('#line-limit', '');
    await f.click('#save');
    const limitError = '[data-field="rules.capacity.limit"] [data-slot="error"]';
    await f.waitForSelector(limitError);
    assert.equal((await f.textContent(limitError))?.trim(), 'enter a number, or tick “no limit”');
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

    // A weight of 0 is refused by the server's schema: the box says so and nothing is saved.
    await f.fill('tr[data-member="6"] input[data-path$=".weight"]', '0');
    await f.click('#save');
    await f.waitForSelector('tr[data-member="6"] .field-error');
    assert.equal((await f.textContent('tr[data-member="6"] .field-error'))?.trim(), 'must be at least 1');
    assert.match(
      (await f.textContent('#line-form .error-summary')) ?? '',
      /Please fix the highlighted fields/,
    );
    assert.equal((await h.app.ctx.settings.line(h.a.memberId, 2)).useLineSettings, true);
    await f.waitForSelector('#whatif-result .field-error');
    await page.screenshot({ path: `${SHOTS}/app-page-invalid.png`, fullPage: true });

    await f.fill('tr[data-member="6"] input[data-path$=".weight"]', '2');
    // The first-answer deadline with its breach settings (issue 18): shown once switched on.
    assert.equal(await f.$('[data-field="firstMessage.escalateAfterBreaches"]'), null);
    await f.click('[data-field="firstMessage.enabled"] button[role="switch"]');
    await f.fill('[data-field="firstMessage.escalateAfterBreaches"] input', '3');
    // The line's quota (issue 18): on, its dialogs wait past everyone's cap; no queue to overflow to.
    await f.click('[data-field="quota.enabled"] button[role="switch"]');
    await f.waitForSelector('[data-field="quota.overflow.to"] button');
    assert.match((await f.textContent('[data-field="quota.overflow.to"]')) ?? '', /the dialog waits/);
    assert.equal(await f.$('[data-field="quota.overflow.route"]'), null, 'a chat has no other queue');
    assert.deepEqual(await rawTexts(f), [], 'the line quota says everything in words');
    await f.click('#save');
    await f.waitForFunction(() => /Saved at/.test(document.querySelector('.save-status')?.textContent ?? ''));
    const saved = await h.app.ctx.settings.line(h.a.memberId, 2);
    assert.deepEqual(
      [saved.firstMessage.enabled, saved.firstMessage.escalateAfterBreaches, saved.firstMessage.onBreach],
      [true, 3, 'reassign'],
    );
    assert.equal(saved.quota.enabled, true);
    assert.equal(saved.quota.overflow.to, 'wait');
    assert.equal(saved.useLineSettings, false);
    assert.equal(saved.rules.mode, 'evenly');
    assert.equal(saved.rules.capacity.limit, 1);
    assert.equal(saved.rules.queue.find((m) => m.id === 6)?.weight, 2);
    await f.waitForSelector('#line-form .field-error', { state: 'detached' });
    await f.waitForSelector('#whatif-result .whatif-item');
    await page.screenshot({ path: `${SHOTS}/app-page-settings.png`, fullPage: true });

    // The next dialog on the line goes by the saved rules: evenly, to someone with a free place.
    const chat = h.a.sim.clientWrites({ lineId: 2, clientKey: 'browser-client-1', text: 'Hello' });
    await waitFor(async () => {
      const rows = await h.app.ctx.assignmentLog.recent(h.a.memberId, {
        kind: 'dialog',
        objectId: String(chat.chatId),
      });
      return rows.some((r) => r.action === 'assign');
    }, 'the new dialog assigned');
    const [entry] = await h.app.ctx.assignmentLog.recent(h.a.memberId, {
      kind: 'dialog',
      objectId: String(chat.chatId),
    });
    assert.equal((entry.reason as any).rule, 'evenly');
    assert.ok([6, 7].includes(entry.operatorId ?? 0), `went to ${entry.operatorId}`);
    await tab(f, 'dashboard');
    await f.waitForSelector(`#log-card .action-assign[data-object="${chat.chatId}"]`);
    assert.match(
      (await f.textContent(`#log-card .action-assign[data-object="${chat.chatId}"]`)) ?? '',
      /by the rule "evenly"/,
    );
    // the line's new limit shows against each operator's load
    assert.match((await f.textContent('#operators-card [data-operator="6"]')) ?? '', /Support.*\/ 1/);
    // People at the portal gave Egor two more dialogs of this line: his load passes the limit
    // the app keeps, and the dashboard says who did it (live, no reload).
    const dialogs = new DialogRepository(h.app.ctx.db);
    for (const chatId of [93_001, 93_002]) {
      const ins = await dialogs.insert({
        memberId: h.a.memberId,
        chatId,
        sessionId: 1,
        lineId: 2,
        userCode: `by-hand|${chatId}`,
        crm: null,
        arrivedAt: Date.now(),
        eventId: null,
        now: Date.now(),
      });
      await dialogs.update(ins.row!, { state: 'portal', holder: 'operator', operatorId: 6 }, Date.now());
    }
    await f.waitForSelector('#operators-card [data-operator="6"] .over', { timeout: 10_000 });
    assert.match((await f.textContent('#operators-card [data-operator="6"] .over')) ?? '', /given by people/);
    // "Why did this dialog go there?": its whole story, one click away.
    await f.click(`#log-card .action-assign[data-object="${chat.chatId}"] .log-object`);
    await f.waitForSelector('#log-view #log-results .log-entry');
    assert.equal(await f.inputValue('#log-object'), String(chat.chatId));
    const objects = await f.$$eval('#log-results .log-entry', (els) =>
      els.map((e) => e.getAttribute('data-object')),
    );
    assert.ok(objects.length >= 1 && objects.every((o) => o === String(chat.chatId)), objects.join(','));
    assert.deepEqual(errors, [], 'no script error or CSP violation');
  });

  it('edits the lead settings: speed to lead, quotas and a routing rule, with the what-if on the open rule', async () => {
    const f = await open(1, 'en');
    await tab(f, 'leads');
    await f.waitForSelector('#whatif-result');
    await f.click('[data-field="firstTouch.enabled"] button[role="switch"]');
    await f.waitForSelector('[data-field="firstTouch.minutes"] input');
    await f.fill('[data-field="firstTouch.minutes"] input', '0');
    await f.click('[data-field="quota.enabled"] button[role="switch"]');
    await choose(f, '[data-field="quota.overflow.to"] button', 'send it to another route');
    await f.click('#route-add');
    await f.waitForSelector('[data-route="0"] [data-field="routes.0.name"] input');
    await f.fill('[data-route="0"] [data-field="routes.0.sources"] input', 'WEB, CALL');
    await f.click('#save');
    // Each refusal at its own field, in words.
    await f.waitForSelector('[data-field="firstTouch.minutes"] [data-slot="error"]');
    assert.equal(
      (await f.textContent('[data-field="firstTouch.minutes"] [data-slot="error"]'))?.trim(),
      'must be at least 1',
    );
    assert.equal(
      (await f.textContent('[data-field="quota.overflow.route"] [data-slot="error"]'))?.trim(),
      'choose the route they go to',
    );
    assert.deepEqual(await rawTexts(f), [], 'the new sections say everything in words');
    await f.fill('[data-field="firstTouch.minutes"] input', '20');
    await choose(f, '[data-field="quota.overflow.route"] button', 'Rule 1');
    await f.click('#save');
    await f.waitForFunction(() => /Saved at/.test(document.querySelector('.save-status')?.textContent ?? ''));
    const leads = await h.app.ctx.settings.leads(h.a.memberId);
    assert.equal(leads.firstTouch.enabled, true);
    assert.equal(leads.firstTouch.minutes, 20);
    assert.deepEqual(leads.quota.overflow, { to: 'route', userId: null, route: 'Rule 1' });
    assert.deepEqual(leads.routes[0].sources, ['WEB', 'CALL']);
    await page.screenshot({ path: `${SHOTS}/app-page-leads.png`, fullPage: true });
    assert.deepEqual(errors, []);
  });

  it('issue 19: deals by pipeline, a deputy and an absence (a bad one refused at its field), who covers whom, one owner', async () => {
    const f = await open(1, 'en');
    // Deals: on, and a rule for pipeline 1 whose converted deals are distributed.
    await tab(f, 'deals');
    await loaded(f, 'deals');
    await f.click('#deals-enabled');
    await f.click('#deal-route-add');
    await f.fill('#deal-route-0-pipelines', '1');
    await choose(f, '[data-route="0"] .route-keep', 'Distribute by this rule');
    // The deals' own quota (issue 19 item 2): past everyone's cap to a person, who must be named.
    await f.click('[data-field="quota.enabled"] button[role="switch"]');
    await choose(f, '[data-field="quota.overflow.to"] button', 'give it to a person');
    await f.click('#save');
    const personError = '[data-field="quota.overflow.userId"] [data-slot="error"]';
    await f.waitForSelector(personError);
    assert.equal((await f.textContent(personError))?.trim(), 'choose the person they go to');
    assert.equal((await h.app.ctx.settings.deals(h.a.memberId)).enabled, false, 'nothing saved');
    await choose(f, '[data-field="quota.overflow.userId"] button', 'Gleb Sokolov');
    await f.click('#save');
    await f.waitForFunction(() => /Saved at/.test(document.querySelector('.save-status')?.textContent ?? ''));
    const deals = await h.app.ctx.settings.deals(h.a.memberId);
    assert.equal(deals.quota.enabled, true);
    assert.deepEqual(deals.quota.overflow, { to: 'person', userId: 4, route: null });
    assert.equal(deals.enabled, true);
    assert.deepEqual([deals.routes[0].categoryIds, deals.routes[0].keepLeadOwner], [[1], false]);
    assert.deepEqual(await rawTexts(f), [], 'the deal settings say everything in words');

    // Boris's deputy is Gleb; an absence that ends before it starts is refused at its field.
    await tab(f, 'operators');
    await loaded(f, 'operators');
    await choose(f, '[data-operator="2"] [data-field="2.deputyId"] button', 'Gleb Sokolov');
    await f.click('[data-absences="2"] .absence-add');
    const local = (ms: number) => {
      const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
      return d.toISOString().slice(0, 16);
    };
    const now = Date.now();
    await f.fill('[data-field="2.absences.0.from"] input', local(now - 3600_000));
    await f.fill('[data-field="2.absences.0.to"] input', local(now - 7200_000));
    await f.click('#save');
    const error = '[data-field="2.absences.0.to"] [data-slot="error"]';
    await f.waitForSelector(error);
    assert.equal((await f.textContent(error))?.trim(), 'an absence must end after it starts');
    assert.equal((await h.app.ctx.settings.operators(h.a.memberId, { observed: false }))['2'], undefined);
    await f.fill('[data-field="2.absences.0.to"] input', local(now + 2 * 86_400_000));
    await f.click('#save');
    await f.waitForFunction(() => /Saved at/.test(document.querySelector('.save-status')?.textContent ?? ''));
    const boris = (await h.app.ctx.settings.operators(h.a.memberId, { observed: false }))['2'];
    assert.equal(boris.deputyId, 4);
    assert.equal(boris.absences.length, 1);

    // Handover on; the sync sees the absence start; the page says who covers whom until when.
    await tab(f, 'absences');
    await loaded(f, 'absences');
    await f.click('#handover-enabled');
    await f.click('#handover-save');
    await f.waitForFunction(() =>
      /Saved at/.test(document.querySelector('#handover-form .save-status')?.textContent ?? ''),
    );
    assert.equal((await h.app.ctx.settings.handover(h.a.memberId)).enabled, true);
    await runnerFor(h.app.ctx).run('sync', { portal: h.a.memberId });
    await tab(f, 'dashboard');
    await tab(f, 'absences');
    await f.waitForSelector('#covers-card [data-covers="now"] [data-absent="2"]');
    const row = (await f.textContent('#covers-card [data-covers="now"] [data-absent="2"]')) ?? '';
    assert.match(row, /Boris Ivanov\s*entered in the app\s*Gleb Sokolov/);
    assert.match(
      (await f.textContent('#covers-card [data-covers="now"] [data-absent="8"]')) ?? '',
      /Zakhar Novikov\s*absence chart\s*Back to distribution/,
    );
    // One owner: the chat leads.
    await choose(f, '#owner-policy', 'The chat leads');
    await f.click('#owner-save');
    await f.waitForFunction(() =>
      /Saved at/.test(document.querySelector('#owner-form .save-status')?.textContent ?? ''),
    );
    assert.equal((await h.app.ctx.settings.owner(h.a.memberId)).policy, 'chat');
    assert.deepEqual(await rawTexts(f), [], 'the absences view says everything in words');
    await page.screenshot({ path: `${SHOTS}/app-page-absences.png`, fullPage: true });
    assert.deepEqual(errors, []);
  });

  it('shows an operator the same page read-only, in Russian, every word Russian', async () => {
    const f = await open(3, 'ru');
    assert.match((await f.textContent('#viewer')) ?? '', /только просмотр/);
    assert.equal((await f.textContent('[data-tab="dashboard"]'))?.trim(), 'Сводка');
    assert.equal(await f.$('#security-card'), null, 'the installation journal is for administrators');
    await tab(f, 'leads');
    await f.waitForSelector('#leads-form');
    assert.equal(await f.$('#save'), null);
    assert.ok(
      await f.$eval('#leads-mode', (e) => e.hasAttribute('disabled') || e.hasAttribute('data-disabled')),
    );
    await f.waitForSelector('#whatif-result .whatif-item, #whatif-result .muted');
    await walk(f, 'ru (operator)');
    await page.screenshot({ path: `${SHOTS}/app-page-readonly-ru.png`, fullPage: true });
    const admin = await open(1, 'ru');
    await walk(admin, 'ru');
    assert.deepEqual(errors, []);
  });

  it('fits the portal slider (400–600 px) and a phone: no view scrolls sideways', async () => {
    const q = new URLSearchParams({ ...appForm(h.a, 1), LANG: 'en' });
    for (const width of [375, 420, 600]) {
      const narrow = await browser.newPage({ viewport: { width, height: 800 } });
      try {
        await narrow.goto(`${h.app.url}/app?${q}`);
        await narrow.waitForSelector('#dashboard');
        for (const v of VIEWS) {
          await narrow.click(`[data-tab="${v}"]`);
          await narrow.waitForSelector(`#${v}-view`);
          await loaded(narrow, v);
          assert.equal(await overflowX(narrow), 0, `${width} px, ${v}`);
          if (width === 420 && (v === 'dashboard' || v === 'lines'))
            await narrow.screenshot({ path: `${SHOTS}/app-page-${width}-${v}.png`, fullPage: true });
        }
      } finally {
        await narrow.close();
      }
    }
  });

  it("follows the viewer's dark theme, every text readable on it", async () => {
    const q = new URLSearchParams({ ...appForm(h.a, 1), LANG: 'en' });
    const dark = await browser.newPage({ viewport: { width: 1360, height: 900 }, colorScheme: 'dark' });
    try {
      await dark.goto(`${h.app.url}/app?${q}`);
      await loaded(dark, 'dashboard');
      assert.equal(await dark.evaluate('document.documentElement.classList.contains("dark")'), true);
      // the title's colour is light on the dark page (it was the browser's black before)
      const rgb = (await dark.evaluate(
        'getComputedStyle(document.getElementById("app-title")).color',
      )) as string;
      const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number);
      assert.ok(r + g + b > 3 * 128, rgb);
      await dark.screenshot({ path: `${SHOTS}/app-page-dark.png`, fullPage: true });
    } finally {
      await dark.close();
    }
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
    const f = await open(1, 'en');
    // The portal drops the app: the page's token stops working at once.
    await h.app.ctx.store.markUninstalled(h.a.memberId, new Date());
    errors.length = 0;
    await tab(f, 'log');
    await f.waitForSelector('#notice #reload, #notice button:has-text("Reload")');
    assert.match((await f.textContent('#notice')) ?? '', /session has expired/);
    await f.click('#notice button');
    // reloadWindow: the portal posts a fresh AUTH_ID to /app, which now refuses.
    await f.waitForSelector('#denied-message');
    assert.match((await f.textContent('#denied-message')) ?? '', /Open this page from Bitrix24/);
    errors.length = 0; // the 401 and 403 above were the point
  });
});
