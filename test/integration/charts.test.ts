import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { DialogRepository } from '../../src/db/repositories/dialogs.ts';
import { PageStatsRepository } from '../../src/db/repositories/page-stats.ts';
import { percentile } from '../../src/web/api/charts.ts';
import { startWaitingSampler } from '../../src/web/waiting-sampler.ts';
import { appForm, bootOf, type PortalsHarness, startPortals } from '../browser/harness.ts';

const HOUR = 3_600_000;

describe('the charts (/api/charts)', () => {
  let h: PortalsHarness;
  let token: string;
  let otherToken: string;
  const midnight = new Date().setHours(0, 0, 0, 0);
  before(async () => {
    h = await startPortals({ second: true });
    const open = async (emu: typeof h.a) =>
      bootOf((await request(h.app.ctx.app).post('/app?LANG=en').type('form').send(appForm(emu, 1))).text)
        .token;
    token = await open(h.a);
    otherToken = await open(h.b!);
  });
  after(async () => {
    await h?.close();
  });
  const charts = (t: string, q = '') =>
    request(h.app.ctx.app).get(`/api/charts?since=${midnight}${q}`).set('Authorization', `Bearer ${t}`);

  it('counts assignments per hour and operator, today and over 7 days, for this portal only', async () => {
    // every entry inside this hour, however close to its edge the test runs
    const now = midnight + Math.floor((Date.now() - midnight) / HOUR) * HOUR + 3;
    const add = (operatorId: number, at: number, action: 'assign' | 'wait' = 'assign') =>
      h.app.ctx.assignmentLog.add({
        memberId: h.a.memberId,
        kind: 'dialog',
        objectId: String(at),
        action,
        operatorId: action === 'wait' ? null : operatorId,
        reason: null,
        at,
      });
    await add(2, now);
    await add(2, now - 1);
    await add(3, now - 2);
    await add(3, now - 3, 'wait');
    await add(3, midnight - 3 * 24 * HOUR + 5 * 60_000); // three days ago, 00:05
    const today = (await charts(token)).body;
    const hour = Math.floor((now - midnight) / HOUR);
    const byId = Object.fromEntries(today.assignments.operators.map((o: any) => [o.id, o]));
    assert.equal(byId[2].counts[hour], 2);
    assert.equal(byId[3].counts[hour], 1, 'a wait is no assignment');
    assert.equal(byId[2].name, 'Boris Ivanov');
    assert.equal(today.assignments.hours[0], midnight);
    const week = (await charts(token, '&range=week')).body;
    assert.equal(week.range, 'week');
    assert.equal(week.from, midnight - 6 * 24 * HOUR);
    const three = Object.fromEntries(week.assignments.operators.map((o: any) => [o.id, o]))[3];
    assert.equal(three.counts[3 * 24], 1, 'three days ago, in its hour');
    assert.deepEqual((await charts(otherToken)).body.assignments.operators, [], "portal b sees none of a's");
    assert.equal((await request(h.app.ctx.app).get('/api/charts')).status, 401);
  });

  it('keeps the waiting queue once a minute, each minute once however many processes sample it', async () => {
    const stats = new PageStatsRepository(h.app.ctx.db);
    await h.app.ctx.db.run(
      `INSERT INTO ol_dialogs (member_id, chat_id, session_id, line_id, user_code, state, arrived_at, updated_at)
       VALUES (?, 501, 1, 1, 'c|501', 'waiting', ?, ?), (?, 502, 1, 1, 'c|502', 'waiting', ?, ?)`,
      [h.a.memberId, Date.now(), Date.now(), h.a.memberId, Date.now(), Date.now()],
    );
    const minute = Date.now() - (Date.now() % 60_000);
    const sampler = () =>
      startWaitingSampler({
        stats,
        portals: () => h.app.ctx.store.listActive(),
        clock: () => minute + 30_000,
        log: h.app.ctx.log,
        everyMs: 3_600_000,
      });
    const one = sampler();
    const two = sampler();
    await Promise.all([one.tick(), two.tick()]);
    one.stop();
    two.stop();
    const rows = await stats.waitingSeries(h.a.memberId, minute, minute + 60_000);
    assert.deepEqual(
      rows.map((r) => ({ ...r })),
      [{ at: minute, dialogs: 2, leads: 0 }],
    );
    const c = (await charts(token)).body;
    assert.equal(c.waiting.dialogs.at(-1), 2);
    assert.equal((await charts(otherToken)).body.waiting.dialogs.at(-1), 0, "b's own count");
  });

  it('measures time to first answer per line from the register: p50 and p90', async () => {
    const dialogs = new DialogRepository(h.app.ctx.db);
    const arrived = Date.now() - 30 * 60_000;
    const secs = [10, 20, 30, 40, 50, 60, 70, 80, 90, 600];
    for (const [i, s] of secs.entries()) {
      const ins = await dialogs.insert({
        memberId: h.a.memberId,
        chatId: 700 + i,
        sessionId: 1,
        lineId: 2,
        userCode: `c|${700 + i}`,
        crm: null,
        arrivedAt: arrived,
        eventId: null,
        now: arrived,
      });
      const row = await dialogs.update(
        ins.row!,
        { state: 'assigned', holder: 'operator', operatorId: 6, answered: true },
        arrived + s * 1000,
      );
      // a later answer (the next operator's, after a pass-on) does not move the first one
      await dialogs.update(row!, { answered: true }, arrived + 5 * HOUR);
    }
    const c = (await charts(token)).body;
    const line = c.firstAnswer.find((l: any) => l.lineId === 2);
    assert.deepEqual({ ...line }, { lineId: 2, name: 'Support', n: 10, p50: 50, p90: 90 });
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
  });
});
