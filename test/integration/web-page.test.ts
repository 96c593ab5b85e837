import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { seedInstallation } from '../helpers/portal.ts';
import { appForm, bootOf, type PortalsHarness, startPortals } from '../browser/harness.ts';

describe('GET /', () => {
  let h: PortalsHarness;
  before(async () => {
    h = await startPortals();
  });
  after(async () => {
    await h?.close();
  });

  it('says what this server is and where to install it, in the visitor’s language', async () => {
    const en = await request(h.app.ctx.app).get('/').set('Accept-Language', 'en-GB,en;q=0.9');
    assert.equal(en.status, 200);
    assert.match(en.headers['content-type'], /text\/html/);
    assert.match(en.text, /Dispatcher for Bitrix24/);
    assert.ok(en.text.includes(`${h.app.url}/install`), 'the installation URL');
    assert.ok(en.text.includes(`${h.app.url}/events`), 'the event handler URL');
    const ru = await request(h.app.ctx.app).get('/').set('Accept-Language', 'ru-RU,ru;q=0.9');
    assert.match(ru.text, /Диспетчер для Битрикс24/);
    assert.match(ru.headers['content-security-policy'], /default-src 'none'/);
    assert.equal((await request(h.app.ctx.app).get('/nothing-here')).status, 404);
  });
});

describe('the /app page', () => {
  let h: PortalsHarness;
  before(async () => {
    h = await startPortals({ second: true });
  });
  after(async () => {
    await h?.close();
  });

  it('checks the viewer with the portal and hands an admin a token bound to portal and user', async () => {
    const form = appForm(h.a, 1, { REFRESH_ID: 'viewer-refresh-token-7f3a' });
    const res = await request(h.app.ctx.app)
      .post(`/app?DOMAIN=${h.a.domain}&PROTOCOL=0&LANG=en&APP_SID=x`)
      .type('form')
      .send(form);
    assert.equal(res.status, 200);
    const boot = bootOf(res.text);
    assert.equal(boot.isAdmin, true);
    assert.equal(boot.userId, 1);
    assert.equal(boot.lang, 'en');
    assert.match(boot.token, /^[\w-]+\.[\w-]+$/);
    const claims = h.app.ctx.services.sessionTokens as any;
    const v = claims.verify(boot.token);
    assert.equal(v.ok, true);
    assert.equal(v.claims.memberId, h.a.memberId);
    // the viewer's portal token never reaches the page or the log
    for (const secret of [form.AUTH_ID, form.REFRESH_ID]) {
      assert.ok(!res.text.includes(secret));
      assert.ok(!h.app.lines.some((l) => l.includes(secret)));
    }
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('sends a strict CSP whose frame-ancestors is the stored portal, not the form DOMAIN', async () => {
    const res = await request(h.app.ctx.app)
      .post('/app?DOMAIN=evil.example&PROTOCOL=1&LANG=en&APP_SID=x')
      .type('form')
      .send(appForm(h.a, 1, { DOMAIN: 'evil.example' }));
    assert.equal(res.status, 200);
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, new RegExp(`frame-ancestors 'self' ${h.a.url.replace(/[.]/g, '\\.')}(;|$)`));
    assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9+/=]+'(;|$)/);
    assert.match(csp, /object-src 'none'/);
    // No inline styles either: only a <style> carrying this response's nonce (the UI kit's theme).
    const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    assert.ok(nonce);
    assert.ok(csp.includes(`style-src 'self' 'nonce-${nonce}';`), csp);
    assert.ok(!csp.includes('unsafe-inline'));
    assert.ok(!csp.includes('evil.example'));
    assert.ok(!csp.includes('unsafe-eval'));
    assert.equal(bootOf(res.text).domain, h.a.domain);
  });

  it('gives a non-admin a read-only token', async () => {
    const res = await request(h.app.ctx.app).post('/app?LANG=en').type('form').send(appForm(h.a, 3));
    assert.equal(res.status, 200);
    const boot = bootOf(res.text);
    assert.equal(boot.isAdmin, false);
    assert.equal(boot.userId, 3);
  });

  it('answers GET with the same fields in the query string', async () => {
    const q = new URLSearchParams({ ...appForm(h.a, 2), LANG: 'ru' });
    const res = await request(h.app.ctx.app).get(`/app?${q}`);
    assert.equal(res.status, 200);
    const boot = bootOf(res.text);
    assert.equal(boot.lang, 'ru');
    assert.match(res.text, /<title>Распределение обращений<\/title>/);
    assert.match(res.text, /<html lang="ru">/);
  });

  it('serves the built page (script and stylesheet) from this server, no other host', async () => {
    const res = await request(h.app.ctx.app).post('/app?LANG=en').type('form').send(appForm(h.a, 1));
    const script = /<script type="module" src="(\/page\/assets\/[\w.-]+\.js)" nonce=/.exec(res.text)?.[1];
    const style = /<link rel="stylesheet" href="(\/page\/assets\/[\w.-]+\.css)">/.exec(res.text)?.[1];
    assert.ok(script && style, res.text);
    assert.ok(!/src="https?:|href="https?:/.test(res.text), 'nothing from another host');
    const js = await request(h.app.ctx.app).get(script);
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    const css = await request(h.app.ctx.app).get(style);
    assert.equal(css.status, 200);
    // The JSON island carries no words and no secret but the page's own token.
    assert.deepEqual(Object.keys(bootOf(res.text)).sort(), [
      'domain',
      'expiresAt',
      'isAdmin',
      'lang',
      'token',
      'userId',
      'viewerName',
    ]);
  });

  it('refuses with a 403 page when the portal does not know the token', async () => {
    const res = await request(h.app.ctx.app)
      .post('/app?LANG=en')
      .type('form')
      .send(appForm(h.a, 1, { AUTH_ID: 'forged-token' }));
    assert.equal(res.status, 403);
    assert.match(res.text, /did not confirm who you are/);
    assert.ok(!res.text.includes('"token"'));
  });

  it("refuses a viewer token of another portal presented under this portal's member_id", async () => {
    assert.ok(h.b);
    const res = await request(h.app.ctx.app)
      .post('/app?LANG=en')
      .type('form')
      .send(appForm(h.a, 1, { AUTH_ID: h.b.issueUserToken(1) }));
    assert.equal(res.status, 403);
  });

  it('refuses an unknown installation and a missing token without calling anyone', async () => {
    // The installs' own setup (bot, bindings, the token check) may still be calling the portal.
    await h.app.ctx.worker.drain();
    await h.a.idle();
    const before = h.a.calls.length;
    const unknown = await request(h.app.ctx.app)
      .post('/app')
      .type('form')
      .send(appForm(h.a, 1, { member_id: 'nope' }));
    assert.equal(unknown.status, 403);
    const noToken = await request(h.app.ctx.app).post('/app').type('form').send({ member_id: h.a.memberId });
    assert.equal(noToken.status, 403);
    assert.match(noToken.text, /Open this page from Bitrix24/);
    assert.equal(h.a.calls.length, before);
    // Nobody may frame a refusal for a portal we never knew.
    assert.match(String(unknown.headers['content-security-policy']), /frame-ancestors 'self'$/);
  });

  it('lets a portal that removed the app frame the refusal, and only that portal', async () => {
    const { memberId } = await seedInstallation(h.app.ctx, {
      memberId: 'removed-portal',
      clientEndpoint: 'https://removed.bitrix24.test/rest/',
    });
    await h.app.ctx.store.markUninstalled(memberId, new Date());
    const res = await request(h.app.ctx.app)
      .post('/app')
      .type('form')
      .send({ member_id: memberId, AUTH_ID: 'x' });
    assert.equal(res.status, 403);
    assert.match(
      String(res.headers['content-security-policy']),
      /frame-ancestors 'self' https:\/\/removed\.bitrix24\.test$/,
    );
  });

  it('answers 502 when the portal cannot be reached', async () => {
    const { memberId } = await seedInstallation(h.app.ctx, {
      memberId: 'unreachable-portal',
      clientEndpoint: 'http://127.0.0.1:9/rest/',
    });
    const res = await request(h.app.ctx.app)
      .post('/app')
      .type('form')
      .send({ member_id: memberId, AUTH_ID: 'x' });
    assert.equal(res.status, 502);
    assert.match(res.text, /did not answer/);
  });

  it('escapes every value that reaches the page', async () => {
    const user = h.a.state.users.get(7);
    assert.ok(user);
    const saved = user.name;
    user.name = '</script><img src=x onerror=alert(1)>';
    try {
      const res = await request(h.app.ctx.app).post('/app?LANG=en').type('form').send(appForm(h.a, 7));
      assert.equal(res.status, 200);
      assert.ok(!res.text.includes('<img src=x'));
      assert.ok(!res.text.includes('</script><img'));
      assert.match(bootOf(res.text).viewerName, /^<\/script><img src=x onerror=alert\(1\)> /);
    } finally {
      user.name = saved;
    }
  });
});
