import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { z } from 'zod';
import type { Feature } from '../../src/context.ts';
import { RetryLaterError } from '../../src/errors.ts';
import { formEncode, startTestApp, type TestApp, waitFor } from '../helpers/context.ts';
import { seedInstallation } from '../helpers/portal.ts';

/** A stand-in event kind whose handler records what it saw, in order. */
const seen: { id: string; n: string }[] = [];
let failTimes = 0;
let deferTimes = 0;
/** events of the portal 'member-flood' wait here, as a portal's requests wait on its rate limit */
let floodGate: Promise<void> | undefined;
let floodRunning = 0;
let floodMaxRunning = 0;
const testFeature: Feature = {
  name: 'test-events',
  register(ctx) {
    ctx.router.on({
      event: 'ONTESTOBJECT',
      schema: z.object({
        event: z.string(),
        data: z.object({ FIELDS: z.object({ ID: z.string().regex(/^\d+$/), N: z.string() }) }),
        ts: z.string().optional(),
        auth: z.object({ member_id: z.string() }).passthrough(),
      }),
      objectKey: (b) => `obj:${b.data.FIELDS.ID}`,
      async handle({ body }) {
        if (failTimes > 0) {
          failTimes--;
          throw new Error('portal hiccup');
        }
        if (deferTimes > 0) {
          deferTimes--;
          throw new RetryLaterError('not yet', 5);
        }
        if (body.auth.member_id === 'member-flood') {
          floodMaxRunning = Math.max(floodMaxRunning, ++floodRunning);
          await floodGate;
          floodRunning--;
        }
        await new Promise((r) => setTimeout(r, 2));
        seen.push({ id: body.data.FIELDS.ID, n: body.data.FIELDS.N });
      },
    });
  },
};

function post(app: TestApp, body: string, type = 'application/x-www-form-urlencoded') {
  return fetch(`${app.url}/events`, { method: 'POST', headers: { 'content-type': type }, body });
}

function eventBody(
  o: { member?: string; token?: string; id?: string; n?: string; ts?: string; event?: string } = {},
) {
  return formEncode({
    event: o.event ?? 'ONTESTOBJECT',
    event_handler_id: '7',
    data: { FIELDS: { ID: o.id ?? '1', N: o.n ?? '1' } },
    ts: o.ts ?? '1742807175',
    auth: {
      access_token: 'user-access-token-xyz',
      expires_in: '3600',
      domain: 'a.bitrix24.test',
      member_id: o.member ?? 'member-a',
      application_token: o.token ?? 'app-token-a',
    },
  });
}

describe('POST /events', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      features: [testFeature],
      // a portal may hold 4 of the 8 handlers, leaving 4 for the others
      worker: { backoffMs: 20, maxBackoffMs: 200, leaseMs: 2000, concurrency: 8, perPortal: 4 },
    });
    await seedInstallation(app.ctx);
  });
  after(() => app.close());
  beforeEach(() => {
    seen.length = 0;
    failTimes = 0;
    deferTimes = 0;
  });

  test('a genuine event is stored, answered 200, and handled', async () => {
    const res = await post(app, eventBody({ id: '10', n: 'a' }));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'accepted' });
    await waitFor(() => seen.length === 1, 'handler');
    assert.deepEqual(seen, [{ id: '10', n: 'a' }]);
    const row = await waitFor(async () => {
      const r = (await app.ctx.inbox.list({ event: 'ONTESTOBJECT' })).at(-1);
      return r?.state === 'done' && r;
    }, 'row done');
    assert.equal(row.payload.auth.access_token, undefined, 'event tokens are not stored');
  });

  test('JSON bodies are accepted too', async () => {
    const body = {
      event: 'ONTESTOBJECT',
      data: { FIELDS: { ID: '11', N: 'json' } },
      ts: '1',
      auth: { member_id: 'member-a', application_token: 'app-token-a' },
    };
    const res = await post(app, JSON.stringify(body), 'application/json');
    assert.equal(res.status, 200);
    await waitFor(() => seen.some((s) => s.n === 'json'), 'json event');
  });

  test('unknown portal, wrong or missing token → 401, and nothing is stored', async () => {
    const before = (await app.ctx.inbox.list()).length;
    for (const body of [
      eventBody({ member: 'member-x' }),
      eventBody({ token: 'app-token-b' }),
      eventBody({ token: 'app-token-' }),
    ]) {
      const res = await post(app, body);
      assert.equal(res.status, 401);
    }
    assert.equal((await app.ctx.inbox.list()).length, before);
  });

  test('malformed bodies → 400 naming the problem, oversized → 413, other types → 415', async () => {
    const before = (await app.ctx.inbox.list()).length;
    let res = await post(app, 'event=ONTESTOBJECT&auth[member_id]=member-a');
    assert.equal(res.status, 400);
    assert.match((await res.json()).error_description, /application_token/);
    res = await post(app, eventBody({ id: 'not-a-number' }));
    assert.equal(res.status, 400);
    assert.match((await res.json()).error_description, /data\.FIELDS\.ID/);
    res = await post(app, '{"event":', 'application/json');
    assert.equal(res.status, 400);
    res = await post(app, `${eventBody()}&pad=${'x'.repeat(300 * 1024)}`);
    assert.equal(res.status, 413);
    res = await post(app, 'hello', 'text/plain');
    assert.equal(res.status, 415);
    assert.equal((await app.ctx.inbox.list()).length, before);
  });

  test('the body is refused before it is read: a declared length over the limit → 413 and the connection closes', async () => {
    const before = (await app.ctx.inbox.list()).length;
    const { port } = new URL(app.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(Number(port), '127.0.0.1');
      let text = '';
      s.on('data', (d) => {
        text += d;
      });
      s.on('end', () => resolve(text));
      s.on('error', reject);
      // the headers promise 10 MB; not a byte of it is sent
      s.write(
        'POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
          'Content-Length: 10000000\r\n\r\n',
      );
    });
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /\r\nconnection: close\r\n/i);
    assert.match(answer, /"error":"payload_too_large"/);
    assert.equal((await app.ctx.inbox.list()).length, before);
  });

  test('bodies streamed past the limit, other charsets and encodings, too many parameters: refused, nothing stored', async () => {
    const before = (await app.ctx.inbox.list()).length;
    const big = new TextEncoder().encode(`${eventBody()}&pad=${'x'.repeat(64 * 1024)}`);
    const chunked = await fetch(`${app.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      // a stream has no length: the body arrives chunked and is cut off at the limit
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 5; i++) c.enqueue(big);
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
    let res = await post(app, eventBody(), 'application/x-www-form-urlencoded; charset=windows-1251');
    assert.equal(res.status, 415);
    assert.match((await res.json()).error_description, /charset "windows-1251"/);
    res = await fetch(`${app.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' },
      body: eventBody(),
    });
    assert.equal(res.status, 415);
    res = await post(app, `${eventBody()}&${Array.from({ length: 10_001 }, (_, i) => `p${i}=1`).join('&')}`);
    assert.equal(res.status, 413);
    assert.match((await res.json()).error_description, /too many parameters/);
    res = await post(app, 'event=ONTESTOBJECT&auth%5Bmember_id%5D=%E0%A4%A');
    assert.equal(res.status, 400);
    assert.match((await res.json()).error_description, /percent-encoding/);
    res = await fetch(`${app.url}/events`);
    assert.equal(res.status, 404, 'only POST is the intake');
    assert.equal((await app.ctx.inbox.list()).length, before);
  });

  test('the intake answers at /events with a trailing slash or a query string, as the route did before', async () => {
    for (const path of ['/events/', '/EVENTS?from=queue']) {
      const res = await fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
        body: eventBody({ id: '12', n: path }),
      });
      assert.equal(res.status, 200, path);
      assert.deepEqual(await res.json(), { status: 'accepted' });
    }
    await waitFor(() => seen.filter((s) => s.id === '12').length === 2, 'both handled');
  });

  test('a repeated delivery is stored and processed once', async () => {
    const body = eventBody({ id: '20', n: 'dup' });
    const answers = await Promise.all([post(app, body), post(app, body), post(app, body)]);
    const statuses = await Promise.all(answers.map((r) => r.json()));
    assert.deepEqual(statuses.map((s) => s.status).sort(), ['accepted', 'duplicate', 'duplicate']);
    await waitFor(() => seen.length === 1, 'handler');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(seen.filter((s) => s.n === 'dup').length, 1);
  });

  test("one object's events run in arrival order, even under concurrency", async () => {
    const bodies = Array.from({ length: 30 }, (_, i) =>
      eventBody({ id: String(100 + (i % 3)), n: String(i), ts: String(i) }),
    );
    for (const b of bodies) assert.equal((await post(app, b)).status, 200);
    await waitFor(() => seen.length === 30, 'all handled');
    for (const id of ['100', '101', '102']) {
      const order = seen.filter((s) => s.id === id).map((s) => Number(s.n));
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        `object ${id} in order`,
      );
      assert.equal(order.length, 10);
    }
  });

  test("one portal's backlog does not hold up another portal's events", async () => {
    await seedInstallation(app.ctx, { memberId: 'member-flood', applicationToken: 'app-token-f' });
    let release = () => {};
    floodGate = new Promise<void>((r) => {
      release = r;
    });
    // 40 events of one portal whose handlers all wait (an import meeting that portal's limit)
    for (let i = 0; i < 40; i++) {
      const res = await post(
        app,
        eventBody({ member: 'member-flood', token: 'app-token-f', id: String(500 + i) }),
      );
      assert.equal(res.status, 200);
    }
    await waitFor(() => floodRunning === 4, 'the flooding portal at its share');
    assert.equal((await post(app, eventBody({ id: '40', n: 'meanwhile' }))).status, 200);
    await waitFor(
      () => seen.some((s) => s.n === 'meanwhile'),
      "the other portal's event, while the flood waits",
    );
    assert.equal(floodMaxRunning, 4, 'the flooding portal never held more than its share of the worker');
    release();
    await waitFor(() => seen.filter((s) => Number(s.id) >= 500).length === 40, 'the flood, once released');
    floodGate = undefined;
  });

  test('handler failures are retried with backoff, then dead-lettered', async () => {
    failTimes = 2;
    await post(app, eventBody({ id: '30', n: 'retry' }));
    await waitFor(() => seen.some((s) => s.n === 'retry'), 'retried event');
    // The row is marked done with the worker's next batch of completions.
    const row = await waitFor(async () => {
      const r = (await app.ctx.inbox.list({ event: 'ONTESTOBJECT' })).find(
        (x) => x.payload.data.FIELDS.N === 'retry',
      );
      return r?.state === 'done' && r;
    }, 'retried row done');
    assert.equal(row.attempts, 3);

    failTimes = 1000;
    await post(app, eventBody({ id: '31', n: 'dead' }));
    const dead = await waitFor(async () => (await app.ctx.inbox.listDead('member-a'))[0], 'dead letter');
    assert.equal(dead.attempts, 8);
    assert.match(dead.lastError ?? '', /portal hiccup/);
    assert.ok(app.lines.some((l) => l.includes('event dead-lettered')));
  });

  test('a deferred event is retried as often as its handler asks, without using up its attempts', async () => {
    deferTimes = 12; // more than the 8 attempts a failing event gets
    await post(app, eventBody({ id: '32', n: 'deferred' }));
    await waitFor(() => seen.some((x) => x.n === 'deferred'), 'deferred event handled');
    const row = await waitFor(async () => {
      const r = (await app.ctx.inbox.list({ event: 'ONTESTOBJECT' })).find(
        (x) => x.payload.data.FIELDS.N === 'deferred',
      );
      return r?.state === 'done' && r;
    }, 'deferred row done');
    assert.equal(row.attempts, 1, 'only the run that did the work counts');
    assert.ok(
      !app.lines.some((l) => l.includes('not yet') && l.includes('"level":40')),
      'not logged as a failure',
    );
  });

  test('ONAPPUNINSTALL is taken only with the stored application token', async () => {
    const other = await seedInstallation(app.ctx, { memberId: 'member-u', applicationToken: 'tok-u' });
    const body = (token: string) =>
      formEncode({
        event: 'ONAPPUNINSTALL',
        data: { LANGUAGE_ID: 'en', CLEAN: '0' },
        ts: '1',
        auth: { domain: 'u.test', member_id: other.memberId, application_token: token },
      });
    assert.equal((await post(app, body('forged'))).status, 401);
    assert.equal((await app.ctx.store.find('member-u'))?.status, 'active');
    assert.equal((await post(app, body('tok-u'))).status, 200);
    // Taken into the inbox; whether the app is really gone, the portal says there
    // (install-security.test.ts, foundation.test.ts).
    const rows = await app.ctx.inbox.list({ memberId: 'member-u', event: 'ONAPPUNINSTALL' });
    assert.equal(rows.length, 1);
  });

  test('no token or secret appears in any log line', async () => {
    const all = app.lines.join('\n');
    for (const secret of [
      'app-token-a',
      'user-access-token-xyz',
      'test-secret-never-logged',
      'at-1',
      'rt-1',
    ]) {
      assert.ok(!all.includes(secret), `${secret} is not logged`);
    }
  });
});
