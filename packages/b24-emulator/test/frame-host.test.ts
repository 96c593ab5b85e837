import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { type Emulator, startEmulator } from '../src/index.ts';
import { APP } from './helpers.ts';

function configOf(html: string): any {
  const m = /<script type="application\/json" id="emu-config">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the host page carries its config');
  return JSON.parse(m[1]);
}

describe('emulator iframe host (HTTP)', () => {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ app: APP, rateLimit: false, timerIntervalMs: 0, language: 'en' });
  });
  after(() => emu.stop());

  it('renders the portal page: named iframe, form POST target and init data for the viewer', async () => {
    const res = await fetch(emu.frameUrl({ path: '/install', user: 1, appBaseUrl: 'http://127.0.0.1:9/' }));
    assert.equal(res.status, 200);
    const html = await res.text();
    const cfg = configOf(html);
    const name = /<iframe id="app-frame" name="([^"]+)"/.exec(html)?.[1];
    assert.equal(name, `${emu.domain}|0|${cfg.appSid}`);
    assert.match(
      html,
      new RegExp(`<form id="app-form" method="POST" target="${name!.replace(/\|/g, '\\|')}"`),
    );
    const action = /action="([^"]+)"/.exec(html)![1].replace(/&amp;/g, '&');
    const url = new URL(action);
    assert.equal(url.pathname, '/install');
    assert.equal(url.searchParams.get('DOMAIN'), emu.domain);
    assert.equal(url.searchParams.get('PROTOCOL'), '0');
    assert.equal(url.searchParams.get('APP_SID'), cfg.appSid);
    assert.deepEqual(Object.keys(cfg.formFields), [
      'AUTH_ID',
      'AUTH_EXPIRES',
      'REFRESH_ID',
      'SERVER_ENDPOINT',
      'APPLICATION_TOKEN',
      'APPLICATION_SCOPE',
      'member_id',
      'status',
      'PLACEMENT',
    ]);
    assert.equal(cfg.initData.AUTH_ID, cfg.formFields.AUTH_ID);
    assert.equal(cfg.initData.INSTALL, true);
    assert.equal(cfg.initData.IS_ADMIN, true);
    assert.equal(cfg.initData.MEMBER_ID, emu.memberId);
    assert.equal(cfg.initData.PLACEMENT, 'DEFAULT');
    // the viewer's token works against the portal
    const me = await fetch(`${emu.url}/rest/profile?auth=${cfg.initData.AUTH_ID}`);
    assert.equal(((await me.json()) as any).result.ID, '1');
  });

  it('finish-install and refresh-auth act for the page session; ordinary users wait for the admin', async () => {
    const page = await fetch(emu.frameUrl({ path: '/app', user: 3, appBaseUrl: 'http://127.0.0.1:9/' }));
    assert.match(await page.text(), /not fully installed/);
    const admin = configOf(
      await (await fetch(emu.frameUrl({ user: 1, appBaseUrl: 'http://127.0.0.1:9/' }))).text(),
    );
    const post = (path: string) =>
      fetch(`${emu.url}/emulator/frame/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sid: admin.appSid }),
      }).then((r) => r.json() as Promise<any>);
    const fresh = await post('refresh-auth');
    assert.notEqual(fresh.AUTH_ID, admin.initData.AUTH_ID);
    assert.equal(fresh.AUTH_EXPIRES, '3600');
    assert.equal(emu.state.app.installed, false);
    await post('finish-install');
    assert.equal(emu.state.app.installed, true);
    const viewer = configOf(await (await fetch(emu.frameUrl({ path: '/app', user: 3 }))).text());
    assert.equal(viewer.initData.IS_ADMIN, false);
    assert.equal(viewer.initData.INSTALL, false);
  });
});

/** The app side: a page running the official SDK's UMD build inside the emulated portal frame. */
function sdkPage(kind: 'install' | 'app'): string {
  return `<!doctype html><html><body data-state="loading"><script src="/sdk.js"></script><script>
(async () => {
  const b24 = await B24Js.initializeB24Frame();
  document.body.dataset.install = String(b24.isInstallMode);
  const me = await b24.actions.v2.call.make({ method: 'profile' });
  document.body.dataset.profile = me.getData().result.ID;
  await b24.parent.setTitle('${kind} page');
  await b24.parent.resizeWindow(800, 777);
  window.refresh = async () => (await b24.auth.refreshAuth()).access_token;
  window.reloadFrame = () => b24.parent.reloadWindow();
  document.body.dataset.state = 'ready';
  if ('${kind}' === 'install') await b24.installFinish();
})().catch((e) => { document.body.dataset.state = 'error: ' + e.message; });
</script></body></html>`;
}

describe('emulator iframe host with the official SDK in Chromium', () => {
  let emu: Emulator;
  let app: Server;
  let appUrl: string;
  const posts: string[] = [];
  before(async () => {
    const sdkDir = join(
      dirname(createRequire(import.meta.url).resolve('@bitrix24/b24jssdk/package.json')),
      'dist/umd',
    );
    const umd = readFileSync(join(sdkDir, 'index.min.js'), 'utf8');
    app = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path === '/sdk.js') {
          res.writeHead(200, { 'Content-Type': 'application/javascript' }).end(umd);
          return;
        }
        if (path !== '/install' && path !== '/app') {
          res.writeHead(404).end();
          return;
        }
        posts.push(`${req.method} ${path}`);
        res
          .writeHead(200, { 'Content-Type': 'text/html' })
          .end(sdkPage(path === '/install' ? 'install' : 'app'));
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    emu = await startEmulator({ app: APP, rateLimit: false, timerIntervalMs: 0 });
  });
  after(async () => {
    await emu.stop();
    await new Promise<void>((r) => app.close(() => r()));
  });

  it('handshakes, calls REST from the browser, finishes the install, refreshes auth and reloads', async () => {
    const browser = await chromium.launch({
      // CHROMIUM_PATH, else Debian's chromium (apt-get install chromium)
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(emu.frameUrl({ path: '/install', user: 1, appBaseUrl: appUrl }));
      const frame = async () => (await (await page.waitForSelector('#app-frame')).contentFrame())!;
      await page.waitForFunction(() => document.body.dataset.installed === 'Y');
      assert.equal(emu.state.app.installed, true);
      // the host logs every command it answered; the installer page titled itself before finishing
      const log = await page.$$eval('#emu-log li', (items) => items.map((li) => li.textContent ?? ''));
      assert.ok(log.some((line) => line.includes('setTitle {"title":"install page"}')));
      assert.ok(log.some((line) => line.includes('setInstallFinish')));
      assert.equal(
        await page.evaluate(() => (document.getElementById('app-frame') as HTMLElement).style.height),
        '777px',
      );

      await page.waitForFunction(() => document.title === 'app page');
      const f = await frame();
      await f.waitForSelector('body[data-state="ready"]', { state: 'attached' });
      assert.equal(await f.getAttribute('body', 'data-install'), 'false');
      assert.equal(await f.getAttribute('body', 'data-profile'), '1');
      assert.deepEqual(posts, ['POST /install', 'POST /app']);

      const token = await f.evaluate(() => (window as any).refresh());
      const me = await fetch(`${emu.url}/rest/profile?auth=${token}`);
      assert.equal(((await me.json()) as any).result.ID, '1');

      await f.evaluate(() => (window as any).reloadFrame());
      await page.waitForFunction(() => document.title === 'app page');
      for (let i = 0; i < 200 && posts.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(posts, ['POST /install', 'POST /app', 'POST /app']);
    } finally {
      await browser.close();
    }
  });
});
