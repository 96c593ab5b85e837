import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fingerprint } from '../../src/portal/application-token.ts';
import { formEncode, waitFor } from '../helpers/context.ts';
import { installApp, type Stack, startStack } from '../helpers/emulator.ts';

// Issue: an ordinary employee (user 2 in the seed, not an administrator) with their own
// genuine OAuth tokens for the app must not be able to change what the app stores for the
// portal, by the installer page, by ONAPPINSTALL, or by a forged ONAPPUNINSTALL after either.

const EMPLOYEE = 2;
const EMPLOYEE_TOKEN = 'employee-chosen-application-token';

async function postEvent(s: Stack, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${s.app.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: formEncode(body),
  });
}

function leadEvent(s: Stack, applicationToken: string, id: string) {
  return {
    event: 'ONCRMLEADADD',
    data: { FIELDS: { ID: id } },
    ts: String(Math.floor(Date.now() / 1000)),
    auth: { member_id: s.emu.memberId, domain: s.emu.domain, application_token: applicationToken },
  };
}

function uninstallEvent(s: Stack, applicationToken: string) {
  return {
    event: 'ONAPPUNINSTALL',
    data: { LANGUAGE_ID: 'en', CLEAN: '0' },
    ts: String(Math.floor(Date.now() / 1000)),
    auth: {
      domain: s.emu.domain,
      client_endpoint: s.emu.clientEndpoint,
      member_id: s.emu.memberId,
      application_token: applicationToken,
    },
  };
}

/** The installer page's POST, as the employee's browser could send it with their own tokens. */
async function employeeInstallPage(s: Stack): Promise<Response> {
  const t = s.emu.issueUserTokens(EMPLOYEE);
  return fetch(`${s.app.url}/install?DOMAIN=${s.emu.domain}&LANG=en`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      AUTH_ID: t.accessToken,
      AUTH_EXPIRES: '3600',
      REFRESH_ID: t.refreshToken ?? '',
      APPLICATION_TOKEN: EMPLOYEE_TOKEN,
      member_id: s.emu.memberId,
      status: 'F',
      PLACEMENT: 'DEFAULT',
    }),
  });
}

async function employeeInstallEvent(s: Stack): Promise<Response> {
  const t = s.emu.issueUserTokens(EMPLOYEE);
  return postEvent(s, {
    event: 'ONAPPINSTALL',
    data: { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' },
    ts: String(Math.floor(Date.now() / 1000)),
    auth: {
      access_token: t.accessToken,
      refresh_token: t.refreshToken,
      expires_in: '3600',
      scope: 'crm imopenlines',
      domain: s.emu.domain,
      server_endpoint: `${s.emu.url}/rest/`,
      client_endpoint: s.emu.clientEndpoint,
      member_id: s.emu.memberId,
      application_token: EMPLOYEE_TOKEN,
    },
  });
}

/** The genuine portal still reaches the app: a verified event is taken, a forged one refused. */
async function assertGenuineEventsWork(s: Stack, id: string): Promise<void> {
  const genuine = await postEvent(s, leadEvent(s, s.emu.state.app.applicationToken, id));
  assert.equal(genuine.status, 200, 'an event with the portal’s token is accepted');
  const forged = await postEvent(s, leadEvent(s, EMPLOYEE_TOKEN, `${id}9`));
  assert.equal(forged.status, 401, 'an event with the employee’s token is refused');
}

async function journalKinds(s: Stack): Promise<string[]> {
  return (await s.app.ctx.journal.recent(s.emu.memberId, 50)).map((e) => e.kind).reverse();
}

describe('an employee cannot take over the installation', () => {
  let s: Stack;
  before(async () => {
    s = await startStack();
  });
  after(() => s.close());

  test('the genuine install has the portal confirm its application token', async () => {
    const inst = await s.app.ctx.store.find(s.emu.memberId);
    assert.ok(inst?.applicationTokenConfirmedAt, 'confirmed by the portal');
    assert.equal(inst.applicationToken, s.emu.state.app.applicationToken);
    assert.ok(
      s.emu.calls.some((c) => c.method === 'event.test'),
      'event.test was called',
    );
    const kinds = await journalKinds(s);
    assert.deepEqual(kinds.slice(0, 2), ['installed', 'application_token_confirmed']);
  });

  test('the installer page posted by an employee is refused with 403 and changes nothing', async () => {
    const before = await s.app.ctx.store.find(s.emu.memberId);
    const res = await employeeInstallPage(s);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /administrator/);
    assert.deepEqual(await s.app.ctx.store.find(s.emu.memberId), before);
    const last = (await s.app.ctx.journal.recent(s.emu.memberId, 1))[0];
    assert.equal(last.kind, 'install_refused');
    assert.equal(last.userId, EMPLOYEE);
    assert.ok(
      s.app.lines.some((l) => l.includes('install refused: not a portal administrator')),
      'the refusal is logged',
    );
    await assertGenuineEventsWork(s, '101');
  });

  test('ONAPPINSTALL sent by an employee is refused with 403 and changes nothing', async () => {
    const before = await s.app.ctx.store.find(s.emu.memberId);
    const res = await employeeInstallEvent(s);
    assert.equal(res.status, 403);
    assert.deepEqual(await s.app.ctx.store.find(s.emu.memberId), before);
    await assertGenuineEventsWork(s, '102');
  });

  test("a forged ONAPPUNINSTALL with the employee's token is refused", async () => {
    const before = await s.app.ctx.store.find(s.emu.memberId);
    const res = await postEvent(s, uninstallEvent(s, EMPLOYEE_TOKEN));
    assert.equal(res.status, 401);
    assert.deepEqual(await s.app.ctx.store.find(s.emu.memberId), before);
  });

  test('a forged ONAPPUNINSTALL with the genuine token (shown to every employee in the app page) is refused by the portal', async () => {
    const before = await s.app.ctx.store.find(s.emu.memberId);
    const res = await postEvent(s, uninstallEvent(s, s.emu.state.app.applicationToken));
    assert.equal(res.status, 200, 'the token matches, so the event is taken…');
    await waitFor(
      async () => (await s.app.ctx.journal.recent(s.emu.memberId, 1))[0]?.kind === 'uninstall_refused',
      'the portal check',
    );
    const now = await s.app.ctx.store.find(s.emu.memberId);
    assert.equal(now?.status, 'active', '…but the portal still answers the app, so it stays installed');
    assert.equal(now?.applicationToken, before?.applicationToken);
    await assertGenuineEventsWork(s, '103');
  });

  test('a forged ONAPPTEST (no live challenge) is refused and changes nothing', async () => {
    const before = await s.app.ctx.store.find(s.emu.memberId);
    const res = await postEvent(s, {
      event: 'ONAPPTEST',
      data: { QUERY: { DISPATCHER_CHALLENGE: 'a'.repeat(64) }, LANGUAGE_ID: 'en' },
      auth: { member_id: s.emu.memberId, application_token: EMPLOYEE_TOKEN },
    });
    assert.equal(res.status, 401);
    assert.deepEqual(await s.app.ctx.store.find(s.emu.memberId), before);
  });
});

describe('administrators reinstall; the token comes from the portal, never from the request', () => {
  test("an administrator's reinstall claiming another token keeps the stored one, confirmed by the portal", async () => {
    const s = await startStack();
    try {
      const genuine = s.emu.state.app.applicationToken;
      const t = s.emu.issueUserTokens(1);
      const res = await fetch(`${s.app.url}/install`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          AUTH_ID: t.accessToken,
          REFRESH_ID: t.refreshToken ?? '',
          APPLICATION_TOKEN: 'replayed-or-made-up',
          member_id: s.emu.memberId,
        }),
      });
      assert.equal(res.status, 200);
      await waitFor(
        async () => (await journalKinds(s)).at(-1) === 'application_token_confirmed',
        'the portal confirms the stored token',
      );
      const kinds = await journalKinds(s);
      assert.deepEqual(kinds.slice(-3), [
        'reinstalled',
        'application_token_claim_ignored',
        'application_token_confirmed',
      ]);
      const inst = await s.app.ctx.store.find(s.emu.memberId);
      assert.equal(inst?.applicationToken, genuine);
      const ignored = (await s.app.ctx.journal.recent(s.emu.memberId, 5)).find(
        (e) => e.kind === 'application_token_claim_ignored',
      );
      assert.equal(ignored?.userId, 1);
      assert.equal(ignored?.detail.claimed, fingerprint('replayed-or-made-up'));
      const forged = await postEvent(s, leadEvent(s, 'replayed-or-made-up', '7'));
      assert.equal(forged.status, 401);
    } finally {
      await s.close();
    }
  });

  test('a reinstall whose ONAPPUNINSTALL was lost takes the new token the portal delivers', async () => {
    const s = await startStack();
    try {
      const old = s.emu.state.app.applicationToken;
      s.emu.uninstall({ lost: true });
      assert.equal((await s.app.ctx.store.find(s.emu.memberId))?.status, 'active', 'the app never heard');
      await installApp(s.emu, s.app);
      const fresh = s.emu.state.app.applicationToken;
      assert.notEqual(fresh, old, 'the portal issued a new application token');
      const inst = await s.app.ctx.store.find(s.emu.memberId);
      assert.equal(inst?.applicationToken, fresh);
      const changed = (await s.app.ctx.journal.recent(s.emu.memberId, 10)).find(
        (e) => e.kind === 'application_token_changed',
      );
      assert.ok(changed, 'the change is journaled');
      assert.deepEqual(changed.detail, { from: fingerprint(old), to: fingerprint(fresh) });
      assert.equal(changed.userId, 1, 'started by the administrator who reinstalled');
      assert.equal((await postEvent(s, leadEvent(s, fresh, '8'))).status, 200);
      assert.equal((await postEvent(s, leadEvent(s, old, '9'))).status, 401);
    } finally {
      await s.close();
    }
  });

  test("a first install's claimed token is replaced by the portal's own", async () => {
    const s = await startStack({ install: false });
    try {
      const page = await s.emu.install({ appBaseUrl: s.app.url, installPath: '/not-the-installer' });
      assert.equal(page.status, 404);
      const t = s.emu.issueUserTokens(1);
      const res = await fetch(`${s.app.url}/install`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          AUTH_ID: t.accessToken,
          REFRESH_ID: t.refreshToken ?? '',
          APPLICATION_TOKEN: 'altered-on-the-way',
          member_id: s.emu.memberId,
        }),
      });
      assert.equal(res.status, 200);
      s.emu.finishInstall();
      const inst = await waitFor(async () => {
        const i = await s.app.ctx.store.find(s.emu.memberId);
        return i?.applicationTokenConfirmedAt ? i : undefined;
      }, 'the portal confirms the token');
      assert.equal(inst.applicationToken, s.emu.state.app.applicationToken);
      assert.ok((await journalKinds(s)).includes('application_token_set'));
    } finally {
      await s.close();
    }
  });

  test('an update that brings a new application token: the portal confirms it, then it is the one', async () => {
    const s = await startStack();
    try {
      const old = s.emu.state.app.applicationToken;
      s.emu.update();
      const fresh = s.emu.state.app.applicationToken;
      assert.notEqual(fresh, old);
      const inst = await waitFor(async () => {
        const i = await s.app.ctx.store.find(s.emu.memberId);
        return i?.applicationToken === fresh ? i : undefined;
      }, 'the new token');
      assert.ok(inst.applicationTokenConfirmedAt);
      const kinds = await journalKinds(s);
      assert.deepEqual(kinds.slice(-3), [
        'updated',
        'application_token_claim_ignored',
        'application_token_changed',
      ]);
      assert.equal((await postEvent(s, leadEvent(s, fresh, '11'))).status, 200);
      assert.equal((await postEvent(s, leadEvent(s, old, '12'))).status, 401);
    } finally {
      await s.close();
    }
  });

  test("ONAPPUPDATE with an employee's token is refused with 403 and changes nothing", async () => {
    const s = await startStack();
    try {
      const before = await s.app.ctx.store.find(s.emu.memberId);
      const t = s.emu.issueUserTokens(EMPLOYEE);
      const res = await postEvent(s, {
        event: 'ONAPPUPDATE',
        data: { VERSION: '9', PREVIOUS_VERSION: '1', LANGUAGE_ID: 'en' },
        auth: {
          access_token: t.accessToken,
          member_id: s.emu.memberId,
          domain: s.emu.domain,
          application_token: EMPLOYEE_TOKEN,
        },
      });
      assert.equal(res.status, 403);
      assert.deepEqual(await s.app.ctx.store.find(s.emu.memberId), before);
      assert.equal((await journalKinds(s)).at(-1), 'install_refused');
      assert.equal(
        (await s.app.ctx.inbox.list({ memberId: s.emu.memberId, event: 'APP_SETUP' })).length,
        1,
        'no new setup',
      );
    } finally {
      await s.close();
    }
  });

  test('an employee cannot make the first install either', async () => {
    const s = await startStack({ install: false });
    try {
      await s.emu.install({ appBaseUrl: s.app.url, installPath: '/not-the-installer' });
      const res = await employeeInstallPage(s);
      assert.equal(res.status, 403);
      assert.equal(await s.app.ctx.store.find(s.emu.memberId), undefined);
    } finally {
      await s.close();
    }
  });
});
