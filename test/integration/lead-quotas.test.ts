import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type PortalClock, type PortalSeed, portalClock } from 'b24-emulator';
import { leadSettingsSchema, operatorsSettingsSchema } from '../../src/settings/schema.ts';
import { QuotaGate } from '../../src/crm/quota.ts';
import { runnerFor } from '../../src/jobs/feature.ts';
import { QuotaLedgerRepository } from '../../src/db/repositories/quota-ledger.ts';
import { waitFor } from '../helpers/context.ts';
import { type Stack, startStack } from '../helpers/emulator.ts';
import { openStoreOf } from '../helpers/store.ts';

/** Admin 1, operators 2–4, overflow person 7. */
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
  lead(title?: string): Promise<number>;
  holder(id: number): number;
}

const open: P[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

async function portal(leads: Record<string, unknown>, start = '2030-05-06T22:00:00+03:00'): Promise<P> {
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
    async lead(title = 'Web lead') {
      const id = s.emu.sim.addLead({ title });
      await settle();
      return id;
    },
    holder: (id) => s.emu.state.crm.leads.get(id)!.assignedById,
  };
  open.push(p);
  await s.app.ctx.settings.write(s.emu.memberId, 'leads', leadSettingsSchema, leads, null);
  return p;
}

const queue = (ids: number[], extra: Record<string, unknown> = {}) => ({
  mode: 'evenly',
  queue: ids.map((id) => ({ id })),
  ...extra,
});

describe('quotas on lead distribution', () => {
  test('quota N: the Nth lead still goes to them, the N+1th does not; past everyone it waits', async () => {
    const p = await portal({
      rules: queue([2, 3]),
      quota: { enabled: true, perOperator: 2, operators: { '3': 1 } },
    });
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(p.holder(await p.lead(`L${i}`)));
    // 2 gets its 2nd (N) lead; 3 stops after its 1st; the 4th has nobody under the cap.
    assert.deepEqual(got.slice(0, 3).sort(), [2, 2, 3]);
    assert.equal(got[3], 1, 'the 4th stays with its creator: it waits');
    const row = await p.app.ctx.db.get<{ phase: string; reason: string }>(
      "SELECT phase, reason FROM leads WHERE phase = 'waiting'",
    );
    assert.equal(row?.phase, 'waiting');
    assert.equal(JSON.parse(row!.reason).detail, 'quota_reached');
    const log = await p.app.ctx.assignmentLog.recent(p.emu.memberId, { kind: 'lead', limit: 1 });
    assert.equal(log[0].action, 'wait');
  });

  test('the quota resets at the portal’s midnight: the waiting lead goes out with the next sync', async () => {
    const p = await portal({
      rules: queue([2]),
      quota: { enabled: true, perOperator: 1, timeZone: 'Europe/Moscow' },
    });
    const first = await p.lead('Before midnight');
    const second = await p.lead('Also before midnight');
    assert.deepEqual([p.holder(first), p.holder(second)], [2, 1]);
    p.clock.set(Date.parse('2030-05-06T23:59:00+03:00'));
    await runnerFor(p.app.ctx).run('sync', { portal: p.emu.memberId });
    assert.equal(p.holder(second), 1, 'a minute before midnight: still over');
    p.clock.set(Date.parse('2030-05-07T00:00:30+03:00'));
    await runnerFor(p.app.ctx).run('sync', { portal: p.emu.memberId });
    assert.equal(p.holder(second), 2, 'after midnight the quota is new');
  });

  test('per shift: the count starts again when the operator’s next working interval begins', async () => {
    const p = await portal(
      { rules: queue([2]), quota: { enabled: true, perOperator: 1, period: 'shift' } },
      '2030-05-06T11:00:00+03:00',
    );
    await p.app.ctx.settings.write(
      p.emu.memberId,
      'operators',
      operatorsSettingsSchema,
      {
        '2': {
          schedule: {
            timeZone: 'Europe/Moscow',
            days: {
              mon: [
                ['08:00', '12:00'],
                ['13:00', '17:00'],
              ],
            },
          },
        },
      },
      null,
    );
    const a = await p.lead('Morning 1');
    const b = await p.lead('Morning 2');
    assert.deepEqual([p.holder(a), p.holder(b)], [2, 1], 'one per shift');
    p.clock.set(Date.parse('2030-05-06T13:05:00+03:00'));
    await runnerFor(p.app.ctx).run('sync', { portal: p.emu.memberId });
    assert.equal(p.holder(b), 2, 'the afternoon shift has its own count');
  });

  test('overflow to a person: past everyone’s cap the overflow person gets it, under their own cap', async () => {
    const p = await portal({
      rules: queue([2, 3]),
      quota: { enabled: true, perOperator: 1, operators: { '7': 1 }, overflow: { to: 'person', userId: 7 } },
    });
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(p.holder(await p.lead(`L${i}`)));
    assert.deepEqual(got.slice(0, 2).sort(), [2, 3]);
    assert.equal(got[2], 7, 'the overflow person');
    assert.equal(got[3], 1, 'the overflow person is capped too: it waits');
    const log = (await p.app.ctx.assignmentLog.recent(p.emu.memberId, { kind: 'lead' })).find(
      (l) => l.operatorId === 7,
    );
    assert.equal(log?.reason.rule, 'quota_overflow');
    assert.deepEqual(log?.reason.skipped.over_quota, [2, 3]);
  });

  test('overflow to another route’s queue', async () => {
    const p = await portal({
      rules: queue([2]),
      routes: [{ name: 'Reserve', sources: ['NOPE'], rules: queue([4]) }],
      quota: { enabled: true, perOperator: 1, overflow: { to: 'route', route: 'Reserve' } },
    });
    const a = await p.lead('A');
    const b = await p.lead('B');
    assert.deepEqual([p.holder(a), p.holder(b)], [2, 4]);
    const row = await p.app.ctx.db.get<{ queue_id: string }>('SELECT queue_id FROM leads WHERE lead_id = ?', [
      b,
    ]);
    assert.equal(row?.queue_id, 'leads:Reserve');
  });

  test('weighted shares decide within the cap: 3:1 weights, the heavy one capped at 2', async () => {
    const p = await portal({
      rules: {
        mode: 'weighted',
        queue: [
          { id: 2, weight: 3 },
          { id: 3, weight: 1 },
        ],
      },
      quota: { enabled: true, operators: { '2': 2 } },
    });
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push(p.holder(await p.lead(`W${i}`)));
    assert.equal(got.filter((x) => x === 2).length, 2, 'the cap holds whatever the weight');
    assert.equal(got.filter((x) => x === 3).length, 3);
    assert.deepEqual(
      got.slice(0, 2),
      [2, 2],
      'before the cap, the weights decide (3:1 → the heavy one first)',
    );
  });

  test('a second process sees the same count (the ledger is in the store)', async () => {
    const p = await portal({ rules: queue([2, 3]), quota: { enabled: true, perOperator: 1 } });
    const first = await p.lead('One');
    // Another process (a CLI run, another instance) opens the same store and counts from it.
    const cfg = p.app.ctx.config;
    const store = await openStoreOf({
      DATABASE_PATH: cfg.databasePath,
      DATABASE_URL: cfg.databaseUrl,
      DATABASE_SCHEMA: cfg.databaseSchema,
    });
    try {
      const gate = new QuotaGate({
        ledger: new QuotaLedgerRepository(store),
        portalZone: async () => 'Europe/Moscow',
      });
      const settings = leadSettingsSchema.parse({
        rules: queue([2, 3]),
        quota: { enabled: true, perOperator: 1 },
      });
      const view = await gate.view(
        p.emu.memberId,
        null as never,
        settings.quota,
        settings.rules,
        {},
        p.clock.now(),
      );
      assert.deepEqual(view.over, [p.holder(first)], 'the other process sees the first assignment');
    } finally {
      await store.close();
    }
  });
});
