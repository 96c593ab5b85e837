import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { JobRepository } from '../../src/db/repositories/jobs.ts';
import { SessionTokens } from '../../src/web/session-token.ts';
import { waitFor } from '../helpers/context.ts';
import { appForm, bootOf, type PortalsHarness, startPortals } from '../browser/harness.ts';

/** Opens /app as `userId` of `emu` and returns the page's session token. */
async function tokenFor(h: PortalsHarness, emu: PortalsHarness['a'], userId: number): Promise<string> {
  const res = await request(h.app.ctx.app).post('/app?LANG=en').type('form').send(appForm(emu, userId));
  assert.equal(res.status, 200, res.text.slice(0, 200));
  return bootOf(res.text).token;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('the settings API', () => {
  let h: PortalsHarness;
  let adminA: string;
  let viewerA: string;
  let adminB: string;
  before(async () => {
    h = await startPortals({ second: true });
    assert.ok(h.b);
    adminA = await tokenFor(h, h.a, 1);
    viewerA = await tokenFor(h, h.a, 3);
    adminB = await tokenFor(h, h.b, 1);
  });
  after(async () => {
    await h?.close();
  });
  const api = () => request(h.app.ctx.app);

  describe('authorisation', () => {
    it('refuses requests without a valid bearer token', async () => {
      assert.equal((await api().get('/api/context')).status, 401);
      assert.equal((await api().get('/api/context').set(bearer('nonsense'))).status, 401);
      // cookies and query parameters are not credentials
      assert.equal((await api().get(`/api/context?token=${adminA}`)).status, 401);
      assert.equal((await api().get('/api/context').set('Cookie', `token=${adminA}`)).status, 401);
    });

    it('tells who the viewer is', async () => {
      const res = await api().get('/api/context').set(bearer(adminA));
      assert.equal(res.status, 200);
      assert.equal(res.body.memberId, h.a.memberId);
      assert.equal(res.body.isAdmin, true);
      const viewer = await api().get('/api/context').set(bearer(viewerA));
      assert.equal(viewer.body.isAdmin, false);
      assert.equal(viewer.body.userId, 3);
    });

    it('rejects a token whose claims were edited to name another portal', async () => {
      const [body, sig] = adminB.split('.');
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
      const forged = `${Buffer.from(JSON.stringify({ ...claims, memberId: h.a.memberId })).toString('base64url')}.${sig}`;
      const res = await api().get('/api/settings/leads').set(bearer(forged));
      assert.equal(res.status, 401);
      const elevated = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(viewerA.split('.')[0], 'base64url').toString()), isAdmin: true })).toString('base64url')}.${viewerA.split('.')[1]}`;
      assert.equal((await api().put('/api/settings/leads').set(bearer(elevated)).send({})).status, 401);
    });

    it('rejects a token signed with another key and an expired one', async () => {
      const claims = { memberId: h.a.memberId, userId: 1, isAdmin: true, lang: 'en' as const };
      const foreign = new SessionTokens('another-secret', Date.now).issue(claims).token;
      assert.equal((await api().get('/api/context').set(bearer(foreign))).status, 401);
      const old = new SessionTokens(h.app.ctx.config.clientSecret, () => Date.now() - 2 * 3600_000).issue(
        claims,
      ).token;
      const res = await api().get('/api/context').set(bearer(old));
      assert.equal(res.status, 401);
      assert.equal(res.body.error, 'session_expired');
    });

    it('lets only administrators write', async () => {
      const res = await api().put('/api/settings/leads').set(bearer(viewerA)).send({ enabled: false });
      assert.equal(res.status, 403);
      assert.equal(res.body.error, 'forbidden');
      assert.equal((await h.app.ctx.settings.leads(h.a.memberId)).enabled, true, 'nothing was stored');
      for (const path of ['/api/settings/lines/1', '/api/settings/operators', '/api/settings/portal']) {
        assert.equal((await api().put(path).set(bearer(viewerA)).send({})).status, 403, path);
      }
      // reading and previewing are for every viewer
      assert.equal((await api().get('/api/settings/leads').set(bearer(viewerA))).status, 200);
      const preview = await api()
        .post('/api/what-if')
        .set(bearer(viewerA))
        .send({ scope: 'leads', settings: {}, n: 3 });
      assert.equal(preview.status, 200);
    });
  });

  describe('one portal never sees another', () => {
    it("a portal's token reads and writes only its own settings", async () => {
      const put = await api()
        .put('/api/settings/lines/2')
        .set(bearer(adminB))
        .send({ useLineSettings: false, rules: { mode: 'weighted', queue: [{ id: 6, weight: 3 }] } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const seenByA = await api().get('/api/settings/lines/2').set(bearer(adminA));
      assert.equal(seenByA.body.stored, false);
      assert.equal(seenByA.body.value.useLineSettings, true);
      const seenByB = await api().get('/api/settings/lines/2').set(bearer(adminB));
      assert.equal(seenByB.body.stored, true);
      assert.equal(seenByB.body.value.rules.mode, 'weighted');
      assert.equal((await h.app.ctx.settings.line(h.a.memberId, 2)).useLineSettings, true);
    });

    it("the dashboard and the log show only the token's portal", async () => {
      const now = Date.now();
      const ctx = h.app.ctx;
      assert.ok(h.b);
      for (const [memberId, objectId] of [
        [h.a.memberId, 'dialog-of-a'],
        [h.b.memberId, 'dialog-of-b'],
      ]) {
        await ctx.assignmentLog.add({
          memberId,
          kind: 'dialog',
          objectId,
          queueId: 'line:1',
          action: 'assign',
          operatorId: 3,
          reason: {
            rule: 'evenly',
            operatorId: 3,
            skipped: { at_capacity: [], unavailable: [{ id: 5, why: 'offline' }] },
          },
          at: now,
        });
        // An event no part handles is dead-lettered by the worker at once, as in production.
        await ctx.inbox.insertMany([
          {
            memberId,
            dedupKey: `dead-${objectId}`,
            event: 'ONCRMCOMPANYADD',
            objectKey: objectId,
            source: 'online',
            payload: { auth: { access_token: 'secret-in-payload' } },
            receivedAt: now,
          },
        ]);
        ctx.worker.wake();
        await waitFor(
          async () => (await ctx.inbox.findByDedupKey(`dead-${objectId}`))?.state === 'dead',
          'dead letter',
        );
        const jobs = new JobRepository(ctx.db);
        const id = await jobs.startRun({
          job: 'close-idle',
          memberId,
          runId: `run-${objectId}`,
          startedAt: now,
          dryRun: false,
        });
        await jobs.finishRun(id, 'ok', now + 5, { closed: objectId === 'dialog-of-a' ? 2 : 7 });
      }
      const log = await api().get('/api/log?limit=50').set(bearer(adminA));
      assert.equal(log.status, 200);
      const ids = log.body.entries.map((e: any) => e.objectId);
      assert.ok(ids.includes('dialog-of-a'));
      assert.ok(!ids.includes('dialog-of-b'));
      const entry = log.body.entries.find((e: any) => e.objectId === 'dialog-of-a');
      assert.match(entry.text, /^Assigned to .+ by the rule "evenly"/);
      assert.match(entry.text, /offline/);

      const one = await api().get('/api/log?objectId=dialog-of-b').set(bearer(adminA));
      assert.deepEqual(one.body.entries, []);

      const d = await api().get('/api/dashboard').set(bearer(adminA));
      assert.equal(d.status, 200);
      assert.deepEqual(
        d.body.dead.rows.map((r: any) => r.objectKey),
        ['dialog-of-a'],
      );
      // the backlog is this portal's: its one dead letter, nothing of portal b's
      assert.deepEqual(d.body.inbox, { pending: 0, processing: 0, dead: 1 });
      assert.equal(d.body.dead.count, 1);
      assert.ok(!JSON.stringify(d.body).includes('secret-in-payload'), 'event payloads stay on the server');
      assert.deepEqual(
        d.body.jobs.map((j: any) => j.result),
        [{ counters: { closed: 2 } }],
      );
      assert.ok(d.body.today.some((t: any) => t.operatorId === 3 && t.dialog >= 1));
      assert.ok(!JSON.stringify(d.body).includes('dialog-of-b'));
    });

    it("shows administrators the installation's journal, and nobody else", async () => {
      await h.app.ctx.journal.add(h.a.memberId, 'install_refused', Date.now(), 2, { via: 'test' });
      const d = await api().get('/api/dashboard').set(bearer(adminA));
      assert.ok(d.body.installation.applicationTokenConfirmedAt, "the portal confirmed a's token");
      const kinds = d.body.installation.events.map((e: any) => e.kind);
      assert.equal(kinds[0], 'install_refused');
      assert.ok(kinds.includes('installed') && kinds.includes('application_token_confirmed'));
      assert.equal(d.body.installation.events[0].userName, 'Boris Ivanov');
      const s = JSON.stringify(d.body.installation);
      assert.ok(!s.includes(h.a.state.app.applicationToken), 'never the token itself');
      const b = await api().get('/api/dashboard').set(bearer(adminB));
      assert.ok(!b.body.installation.events.some((e: any) => e.kind === 'install_refused'), "not b's");
      const viewer = await api().get('/api/dashboard').set(bearer(viewerA));
      assert.equal(viewer.body.installation, null, 'operators do not see it');
    });
  });

  describe('validation', () => {
    it('answers 400 with every offending field and stores nothing', async () => {
      const res = await api()
        .put('/api/settings/lines/1')
        .set(bearer(adminA))
        .send({
          useLineSettings: false,
          rules: {
            mode: 'random',
            passOnAfterSec: 0,
            capacity: { limit: -1 },
            queue: [{ id: 6, weight: 0 }],
          },
          idle: { noClientReplyDays: 'seven' },
        });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_settings');
      const paths = res.body.fields.map((f: any) => f.path).sort();
      assert.deepEqual(paths, [
        'idle.noClientReplyDays',
        'rules.capacity.limit',
        'rules.mode',
        'rules.passOnAfterSec',
        'rules.queue.0.weight',
      ]);
      for (const f of res.body.fields) assert.ok(f.message.length > 0);
      assert.equal((await h.app.ctx.settings.line(h.a.memberId, 1)).useLineSettings, true);
    });

    it('refuses a cleared limit or an empty list of open lead statuses instead of saving "no limit" / "nothing counts"', async () => {
      // A cleared number box arrives as ''; only null (the page's "no limit" tick) means no limit.
      const line = await api()
        .put('/api/settings/lines/9')
        .set(bearer(adminA))
        .send({ useLineSettings: false, rules: { capacity: { limit: '' } } });
      assert.equal(line.status, 400);
      assert.deepEqual(
        line.body.fields.map((f: any) => [f.path, f.key]),
        [['rules.capacity.limit', 'err_limit_empty']],
      );
      assert.equal((await h.app.ctx.settings.line(h.a.memberId, 9)).useLineSettings, true, 'nothing saved');
      const route = await api()
        .put('/api/settings/leads')
        .set(bearer(adminA))
        .send({ routes: [{ name: 'Web', rules: { capacity: { limit: 'x' } } }] });
      assert.deepEqual(
        route.body.fields.map((f: any) => [f.path, f.key]),
        [['routes.0.rules.capacity.limit', 'err_limit_empty']],
      );
      const before = (await h.app.ctx.settings.leads(h.a.memberId)).openStatuses;
      const leads = await api().put('/api/settings/leads').set(bearer(adminA)).send({ openStatuses: [] });
      assert.equal(leads.status, 400);
      assert.deepEqual(
        leads.body.fields.map((f: any) => [f.path, f.key]),
        [['openStatuses', 'err_open_statuses_empty']],
      );
      assert.deepEqual((await h.app.ctx.settings.leads(h.a.memberId)).openStatuses, before, 'nothing saved');
      // "No limit" said on purpose still saves.
      const unlimited = await api()
        .put('/api/settings/lines/9')
        .set(bearer(adminA))
        .send({ useLineSettings: false, rules: { capacity: { limit: null } } });
      assert.equal(unlimited.status, 200);
      assert.equal(unlimited.body.value.rules.capacity.limit, null);
    });

    it('checks operators, leads and the line id by the same schemas', async () => {
      const ops = await api()
        .put('/api/settings/operators')
        .set(bearer(adminA))
        .send({
          '5': { schedule: { timeZone: 'Mars/Olympus', days: { mon: [['09:00', '25:00']] } } },
          boss: {},
        });
      assert.equal(ops.status, 400);
      const paths = ops.body.fields.map((f: any) => f.path);
      assert.ok(paths.includes('5.schedule.timeZone'), paths.join());
      assert.ok(paths.includes('5.schedule.days.mon.0.1'), paths.join());
      // The schemas' own checks carry the key the page translates them by.
      const keyOf = (path: string) => ops.body.fields.find((f: any) => f.path === path)?.key;
      assert.equal(keyOf('5.schedule.timeZone'), 'err_time_zone');
      assert.equal(keyOf('5.schedule.days.mon.0.1'), 'err_time_of_day');
      assert.ok(
        paths.some((p: string) => p.startsWith('boss') || p === ''),
        paths.join(),
      );
      const leads = await api()
        .put('/api/settings/leads')
        .set(bearer(adminA))
        .send({ routes: [{ name: '' }] });
      assert.equal(leads.status, 400);
      assert.deepEqual(
        leads.body.fields.map((f: any) => f.path),
        ['routes.0.name'],
      );
      const line = await api().get('/api/settings/lines/abc').set(bearer(adminA));
      assert.equal(line.status, 400);
      assert.equal(line.body.fields[0].path, 'lineId');
      const preview = await api()
        .post('/api/what-if')
        .set(bearer(adminA))
        .send({ scope: 'line:1', settings: { rules: { mode: 'nope' } }, n: 500 });
      assert.equal(preview.status, 400);
      assert.deepEqual(preview.body.fields.map((f: any) => f.path).sort(), ['n']);
      const preview2 = await api()
        .post('/api/what-if')
        .set(bearer(adminA))
        .send({ scope: 'line:1', settings: { rules: { mode: 'nope' } } });
      assert.deepEqual(
        preview2.body.fields.map((f: any) => f.path),
        ['settings.rules.mode'],
      );
    });

    it('stores a valid change at once, fills defaults and logs who changed what', async () => {
      const res = await api()
        .put('/api/settings/lines/1')
        .set(bearer(adminA))
        .send({
          useLineSettings: false,
          rules: { mode: 'least_loaded', capacity: { limit: 4 }, queue: [{ id: 3 }, { id: 4, weight: 2 }] },
        });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.value.rules.queue[0].weight, 1, 'defaults filled');
      const stored = await h.app.ctx.settings.line(h.a.memberId, 1);
      assert.equal(stored.rules.mode, 'least_loaded');
      assert.equal(stored.rules.capacity.limit, 4);
      const got = await api().get('/api/settings/lines/1').set(bearer(viewerA));
      assert.equal(got.body.updatedBy, 1);
      assert.equal(got.body.updatedByName, 'Anna Smith');
      assert.equal(got.body.value.rules.mode, 'least_loaded');
      const line = h.app.lines
        .map((l) => JSON.parse(l))
        .find((l) => l.msg === 'settings changed' && l.scope === 'line:1');
      assert.ok(line, 'the change is logged');
      assert.equal(line.userId, 1);
      assert.equal(line.memberId, h.a.memberId);
      assert.ok(
        line.changes.some(
          (c: any) => c.path === 'rules.mode' && c.from === 'evenly' && c.to === 'least_loaded',
        ),
      );
    });

    it('applies the portal plan to the REST client', async () => {
      const res = await api()
        .put('/api/settings/portal')
        .set(bearer(adminA))
        .send({ ratePlan: 'enterprise' });
      assert.equal(res.status, 200);
      assert.equal((await h.app.ctx.store.find(h.a.memberId))?.ratePlan, 'enterprise');
      const bad = await api().put('/api/settings/portal').set(bearer(adminA)).send({ ratePlan: 'unlimited' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.fields[0].path, 'ratePlan');
    });
  });

  describe('what-if and lines', () => {
    it('lists the portal lines', async () => {
      const res = await api().get('/api/lines').set(bearer(viewerA));
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.body.lines.map((l: any) => l.id),
        [1, 2],
      );
      assert.equal(res.body.lines[1].name, 'Support');
    });

    it('previews the next dialogs under unsaved settings on the live operator state', async () => {
      const settings = {
        useLineSettings: false,
        rules: { mode: 'strictly', capacity: { limit: 2 }, queue: [{ id: 6 }, { id: 7 }, { id: 9 }] },
      };
      const res = await api()
        .post('/api/what-if')
        .set(bearer(adminA))
        .send({ scope: 'line:2', settings, n: 6 });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.mode, 'strictly');
      assert.deepEqual(
        res.body.decisions.map((d: any) => d.operatorId),
        [6, 6, 7, 7, null, null],
      );
      assert.equal(res.body.waiting, 2);
      assert.deepEqual(
        res.body.tally.map((t: any) => [t.operatorId, t.n]),
        [
          [6, 2],
          [7, 2],
          [9, 0],
        ],
      );
      assert.match(res.body.decisions[0].text, /strictly in order/);
      // nothing was stored by a preview
      assert.equal((await h.app.ctx.settings.line(h.a.memberId, 2)).useLineSettings, true);
    });

    it("previews a lead routing rule's own queue", async () => {
      const settings = {
        rules: { queue: [{ id: 6 }, { id: 7 }] },
        routes: [
          { name: 'Web', sources: ['WEB'], rules: { mode: 'strictly', queue: [{ id: 3 }, { id: 2 }] } },
        ],
      };
      const byDefault = await api()
        .post('/api/what-if')
        .set(bearer(viewerA))
        .send({ scope: 'leads', settings, n: 2 });
      assert.deepEqual(
        byDefault.body.tally.map((t: any) => t.operatorId),
        [6, 7],
      );
      const byRoute = await api()
        .post('/api/what-if')
        .set(bearer(viewerA))
        .send({ scope: 'leads', settings, n: 2, route: 0 });
      assert.equal(byRoute.status, 200);
      assert.equal(byRoute.body.mode, 'strictly');
      assert.deepEqual(
        byRoute.body.decisions.map((d: any) => d.operatorId),
        [3, 3],
      );
    });

    it("previews the line's own settings when asked to use them", async () => {
      const res = await api()
        .post('/api/what-if')
        .set(bearer(adminA))
        .send({ scope: 'line:2', settings: { useLineSettings: true }, n: 2 });
      assert.equal(res.status, 200);
      assert.equal(res.body.rulesFrom, 'line');
      assert.equal(res.body.mode, 'strictly');
      assert.deepEqual(
        res.body.tally.map((t: any) => t.operatorId),
        [6, 7, 8, 9],
      );
    });
  });
});
