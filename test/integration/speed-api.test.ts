import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { LeadsServices } from '../../src/crm/feature.ts';
import type { WatchRow } from '../../src/db/repositories/first-touch.ts';
import { appForm, bootOf, type PortalsHarness, startPortals } from '../browser/harness.ts';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

async function tokenFor(h: PortalsHarness, emu: PortalsHarness['a'], userId: number): Promise<string> {
  const res = await request(h.app.ctx.app).post('/app?LANG=en').type('form').send(appForm(emu, userId));
  assert.equal(res.status, 200, res.text.slice(0, 200));
  return bootOf(res.text).token;
}

function watch(memberId: string, id: number, o: Partial<WatchRow>): WatchRow {
  return {
    memberId,
    kind: 'lead',
    objectId: String(id),
    queueId: 'leads:default',
    holderId: 2,
    holders: [2],
    statusId: 'NEW',
    arrivedAt: 0,
    assignedAt: 0,
    deadlineAt: null,
    breaches: 0,
    state: 'watching',
    touchedAt: null,
    touchedBy: null,
    touch: null,
    ...o,
  };
}

describe('GET /api/speed', () => {
  let h: PortalsHarness;
  let viewerA: string;
  let adminB: string;
  const now = Date.now();
  before(async () => {
    h = await startPortals({ second: true });
    viewerA = await tokenFor(h, h.a, 3);
    adminB = await tokenFor(h, h.b!, 1);
    const leads = h.app.ctx.services.leads as LeadsServices;
    const repo = leads.firstTouchRepository;
    const m = h.a.memberId;
    // Operator 2 touched two leads today, 2 and 10 minutes after getting them (the client had
    // waited 1 minute more each); operator 3 touched one six days ago after 4 minutes.
    const rows = [
      watch(m, 101, { arrivedAt: now - 60 * MIN, assignedAt: now - 59 * MIN }),
      watch(m, 102, { arrivedAt: now - 40 * MIN, assignedAt: now - 39 * MIN }),
      watch(m, 103, { holderId: 3, holders: [3], arrivedAt: now - 6 * DAY, assignedAt: now - 6 * DAY }),
      watch(m, 104, { arrivedAt: now - 30 * MIN, assignedAt: now - 30 * MIN, deadlineAt: now - 15 * MIN }),
    ];
    await repo.start(rows, now);
    await repo.touched(rows[0], { at: now - 57 * MIN, by: 2, touch: 'activity:2' }, now);
    await repo.touched(rows[1], { at: now - 29 * MIN, by: 2, touch: 'stage' }, now);
    await repo.touched(rows[2], { at: now - 6 * DAY + 4 * MIN, by: 3, touch: 'activity:2' }, now);
    await repo.recordBreach({
      memberId: m,
      objectId: '104',
      breachNo: 1,
      queueId: 'leads:default',
      holderId: 2,
      action: 'notify',
      newHolderId: null,
      supervisorId: null,
      waitedMs: 30 * MIN,
      dueAt: now - 15 * MIN,
      at: now - 5 * MIN,
      watch: {
        holderId: 2,
        holders: [2],
        assignedAt: now - 30 * MIN,
        deadlineAt: now + 10 * MIN,
        state: 'watching',
      },
      notices: [],
      log: {
        memberId: m,
        kind: 'lead',
        objectId: '104',
        action: 'breach',
        operatorId: 2,
        reason: {
          rule: 'first_touch_breach',
          text_en: 'First-touch deadline missed (1st time)',
          text_ru: 'Пропущен срок',
        },
        at: now - 5 * MIN,
      },
    });
  });
  before(async () => {
    // Two chats on line 1 missed their first-answer deadline: one today, one three days ago.
    const m = h.a.memberId;
    for (const [chatId, at] of [
      [501, now - 10 * MIN],
      [502, now - 3 * DAY],
    ]) {
      await h.app.ctx.db.run(
        `INSERT INTO first_touch_breach (member_id, kind, object_id, breach_no, queue_id, holder_id, action,
           new_holder_id, supervisor_id, waited_ms, due_at, at, written)
         VALUES (?, 'dialog', ?, 1, 'line:1', 2, 'reassign', 3, NULL, 90000, ?, ?, 1)`,
        [m, `${chatId}:7`, at - 1000, at],
      );
      await h.app.ctx.assignmentLog.add({
        memberId: m,
        kind: 'dialog',
        objectId: String(chatId),
        queueId: 'line:1',
        action: 'breach',
        operatorId: 3,
        previousOperatorId: 2,
        reason: {
          rule: 'first_message_breach',
          text_en: 'First-answer deadline missed (1st time)',
          text_ru: 'Пропущен срок первого ответа в чате',
        },
        at,
      });
    }
  });
  after(async () => {
    await h?.close();
  });
  const api = () => request(h.app.ctx.app);

  it('answers p50/p90 per operator and per queue, for today and the week, with the misses in words', async () => {
    const today = now - 2 * 60 * MIN;
    const res = await api()
      .get(`/api/speed?today=${today}`)
      .set({ Authorization: `Bearer ${viewerA}` });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const b = res.body;
    assert.deepEqual(b.windows.today.from, today);
    const op = (id: number) => b.operators.find((o: { id: number }) => o.id === id);
    assert.deepEqual(op(2).today, { touched: 2, p50Ms: 2 * MIN, p90Ms: 10 * MIN, breaches: 1 });
    assert.deepEqual(op(3).today, { touched: 0, p50Ms: null, p90Ms: null, breaches: 0 });
    assert.deepEqual(op(3).week, { touched: 1, p50Ms: 4 * MIN, p90Ms: 4 * MIN, breaches: 0 });
    assert.equal(typeof op(2).name, 'string');
    const line = b.lines.find((l: { queueId: string }) => l.queueId === 'leads:default');
    assert.equal(line.name, 'Default lead queue');
    // Per queue the client's wait counts: a minute more than the operator's own time.
    assert.deepEqual(line.today, { touched: 2, p50Ms: 3 * MIN, p90Ms: 11 * MIN, breaches: 1 });
    assert.deepEqual(line.week.touched, 3);
    assert.equal(b.breaches.today, 1);
    assert.equal(b.breaches.week, 1);
    assert.equal(b.breaches.recent[0].leadId, 104);
    assert.equal(b.breaches.recent[0].text, 'First-touch deadline missed (1st time)');
  });

  it('counts the chats’ missed first-answer deadlines per line, today and the week, in words', async () => {
    const res = await api()
      .get(`/api/speed?today=${now - 2 * 60 * MIN}`)
      .set({ Authorization: `Bearer ${viewerA}` });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const c = res.body.chats;
    assert.equal(c.today, 1);
    assert.equal(c.week, 2);
    assert.equal(c.lines.length, 1);
    assert.deepEqual({ ...c.lines[0], name: undefined }, { lineId: 1, today: 1, week: 2, name: undefined });
    assert.ok(c.lines[0].name.length > 0);
    assert.equal(c.recent[0].chatId, 501);
    assert.equal(c.recent[0].action, 'reassign');
    assert.equal(c.recent[0].text, 'First-answer deadline missed (1st time)');
    assert.equal(typeof c.recent[0].newHolderName, 'string');
    assert.equal(res.body.breaches.week, 1, 'the leads’ misses stay the leads’');
    const other = await api()
      .get('/api/speed')
      .set({ Authorization: `Bearer ${adminB}` });
    assert.equal(other.body.chats.week, 0, 'the other portal sees none');
  });

  it('is scoped to the viewer’s portal and authorised like the rest of /api', async () => {
    const other = await api()
      .get('/api/speed')
      .set({ Authorization: `Bearer ${adminB}` });
    assert.equal(other.status, 200);
    assert.deepEqual(other.body.operators, []);
    assert.equal(other.body.breaches.week, 0);
    assert.equal((await api().get('/api/speed')).status, 401);
    assert.equal((await api().get(`/api/speed?token=${viewerA}`)).status, 401);
  });

  it('refuses a "today" outside the last two days with a clear error', async () => {
    const bad = await api()
      .get(`/api/speed?today=${now - 3 * DAY}`)
      .set({ Authorization: `Bearer ${viewerA}` });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_query');
    const nan = await api()
      .get('/api/speed?today=yesterday')
      .set({ Authorization: `Bearer ${viewerA}` });
    assert.equal(nan.status, 400);
  });
});
