import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type PortalClock, type PortalSeed, portalClock } from 'b24-emulator';
import { runnerFor } from '../../src/jobs/feature.ts';
import { dealSettingsSchema } from '../../src/settings/deals.ts';
import { leadSettingsSchema } from '../../src/settings/schema.ts';
import { waitFor } from '../helpers/context.ts';
import { type Stack, startStack } from '../helpers/emulator.ts';

/** Admin 1, operators 2–4, overflow person 7. Issue 19 item 2: deals capped like leads. */
const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true },
    { id: 2, name: 'Boris', lastName: 'Ivanov' },
    { id: 3, name: 'Vera', lastName: 'Petrova' },
    { id: 4, name: 'Gleb', lastName: 'Sokolov' },
    { id: 7, name: 'Oleg', lastName: 'Reserve' },
  ],
};

interface P extends Stack {
  clock: PortalClock;
  deal(title?: string): Promise<number>;
  lead(title?: string): Promise<number>;
  holder(id: number): number;
  leadHolder(id: number): number;
  sync(): Promise<void>;
}

const open: P[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

async function portal(
  deals: Record<string, unknown>,
  leads: Record<string, unknown> = { enabled: false },
  start = '2030-05-06T22:00:00+03:00',
): Promise<P> {
  const clock = portalClock({ start: Date.parse(start), running: true });
  const s = await startStack({
    emulator: { seed: SEED, language: 'en', clock: clock.now },
    app: { clock: clock.now },
  });
  const settle = async () => {
    let quiet = 0;
    await waitFor(async () => {
      await s.emu.idle();
      const busy = (await s.app.ctx.inbox.list({ memberId: s.emu.memberId })).some(
        (r) => r.state === 'pending' || r.state === 'processing',
      );
      quiet = busy ? 0 : quiet + 1;
      return quiet >= 2;
    }, 'the app to settle');
  };
  const p: P = {
    ...s,
    clock,
    async deal(title = 'Deal') {
      const id = s.emu.sim.addDeal({ title });
      await settle();
      return id;
    },
    async lead(title = 'Lead') {
      const id = s.emu.sim.addLead({ title });
      await settle();
      return id;
    },
    holder: (id) => s.emu.state.crm.deals.get(id)!.assignedById,
    leadHolder: (id) => s.emu.state.crm.leads.get(id)!.assignedById,
    async sync() {
      await runnerFor(s.app.ctx).run('sync', { portal: s.emu.memberId });
    },
  };
  open.push(p);
  await s.app.ctx.settings.write(s.emu.memberId, 'leads', leadSettingsSchema, leads, null);
  await s.app.ctx.settings.write(
    s.emu.memberId,
    'deals',
    dealSettingsSchema,
    { enabled: true, ...deals },
    null,
  );
  return p;
}

const queue = (ids: number[], extra: Record<string, unknown> = {}) => ({
  mode: 'evenly',
  queue: ids.map((id) => ({ id })),
  ...extra,
});

describe('quotas on deal distribution', () => {
  test('quota N: the Nth deal still goes to them, the N+1th does not; past everyone it waits', async () => {
    const p = await portal({
      rules: queue([2, 3]),
      quota: { enabled: true, perOperator: 2, operators: { '3': 1 } },
    });
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(p.holder(await p.deal(`D${i}`)));
    assert.deepEqual(got.slice(0, 3).sort(), [2, 2, 3]);
    assert.equal(got[3], 1, 'the 4th stays where the portal put it: it waits');
    const row = await p.app.ctx.db.get<{ phase: string; reason: string }>(
      "SELECT phase, reason FROM deals WHERE phase = 'waiting'",
    );
    assert.equal(row?.phase, 'waiting');
    const reason = JSON.parse(row!.reason);
    assert.equal(reason.detail, 'quota_reached');
    assert.deepEqual(reason.skipped.over_quota, [2, 3]);
    const ledger = await p.app.ctx.db.all<{ kind: string; n: number }>(
      'SELECT kind, COUNT(*) AS n FROM quota_ledger GROUP BY kind',
    );
    assert.deepEqual(
      ledger.map((r) => [r.kind, Number(r.n)]),
      [['deal', 3]],
    );
  });

  test('a deal cap counts deals, apart from leads: leads given today do not use it up, nor deals the lead cap', async () => {
    const p = await portal(
      { rules: queue([2]), quota: { enabled: true, perOperator: 1 } },
      { rules: queue([2]), quota: { enabled: true, perOperator: 1 } },
    );
    const lead = await p.lead('L1');
    assert.equal(p.leadHolder(lead), 2);
    const d1 = await p.deal('D1');
    assert.equal(p.holder(d1), 2, 'the lead did not count toward the deal cap');
    const d2 = await p.deal('D2');
    assert.equal(p.holder(d2), 1, 'the second deal is over the deal cap');
    const lead2 = await p.lead('L2');
    assert.equal(p.leadHolder(lead2), 1, 'the lead cap is its own: one lead, already given');
  });

  test('the quota resets at the portal’s midnight: the waiting deal goes out with the next sync', async () => {
    const p = await portal({
      rules: queue([2]),
      quota: { enabled: true, perOperator: 1, timeZone: 'Europe/Moscow' },
    });
    const first = await p.deal('Before midnight');
    const second = await p.deal('Also before midnight');
    assert.deepEqual([p.holder(first), p.holder(second)], [2, 1]);
    p.clock.set(Date.parse('2030-05-06T23:59:00+03:00'));
    await p.sync();
    assert.equal(p.holder(second), 1, 'a minute before midnight: still over');
    p.clock.set(Date.parse('2030-05-07T00:00:30+03:00'));
    await p.sync();
    assert.equal(p.holder(second), 2, 'after midnight the quota is new');
  });

  test('overflow to a person: past everyone’s cap the overflow person gets it, under their own cap', async () => {
    const p = await portal({
      rules: queue([2, 3]),
      quota: { enabled: true, perOperator: 1, operators: { '7': 1 }, overflow: { to: 'person', userId: 7 } },
    });
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(p.holder(await p.deal(`D${i}`)));
    assert.deepEqual(got.slice(0, 2).sort(), [2, 3]);
    assert.equal(got[2], 7, 'the overflow person');
    assert.equal(got[3], 1, 'the overflow person is capped too: it waits');
    const log = (await p.app.ctx.assignmentLog.recent(p.emu.memberId, { kind: 'deal' })).find(
      (l) => l.operatorId === 7,
    );
    assert.equal(log?.reason.rule, 'quota_overflow');
    assert.deepEqual(log?.reason.skipped.over_quota, [2, 3]);
  });

  test('overflow to another deal route’s queue, which must be a deal route', async () => {
    const p = await portal({
      rules: queue([2]),
      routes: [{ name: 'Reserve', sources: ['NOPE'], rules: queue([4]) }],
      quota: { enabled: true, perOperator: 1, overflow: { to: 'route', route: 'Reserve' } },
    });
    const a = await p.deal('A');
    const b = await p.deal('B');
    assert.deepEqual([p.holder(a), p.holder(b)], [2, 4]);
    const row = await p.app.ctx.db.get<{ queue_id: string }>('SELECT queue_id FROM deals WHERE deal_id = ?', [
      b,
    ]);
    assert.equal(row?.queue_id, 'deals:Reserve');
    // A route that is not a deal route is refused, by its key (the page says it in words).
    const parsed = dealSettingsSchema.safeParse({
      quota: { enabled: true, overflow: { to: 'route', route: 'Lead route' } },
    });
    assert.equal(parsed.success, false);
    assert.deepEqual(parsed.error?.issues[0].path, ['quota', 'overflow', 'route']);
    assert.equal(parsed.error?.issues[0].message, 'overflow queue must name one of the deal routes');
  });
});
