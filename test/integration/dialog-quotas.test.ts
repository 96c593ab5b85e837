import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type PortalClock, type PortalSeed, portalClock, startEmulator } from 'b24-emulator';
import { recordQuota } from '../../src/db/repositories/quota-ledger.ts';
import { explain } from '../../src/engine/index.ts';
import { absenceFeature } from '../../src/absence/feature.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import type { OpenLinesService } from '../../src/openlines/service.ts';
import { handoverSettingsSchema } from '../../src/settings/absences.ts';
import { lineSettingsSchema, operatorsSettingsSchema } from '../../src/settings/schema.ts';
import { startCluster } from '../helpers/cluster.ts';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, waitFor } from '../helpers/context.ts';
import { openStoreOf } from '../helpers/store.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

/**
 * Issue 18 item 2 for open lines: at most N of a line's dialogs per operator per day or shift,
 * counted in the store inside the queue's turn; past everyone's cap a dialog waits (placed
 * when the period resets) or goes to the overflow person, capped too.
 */
afterEach(closeAll);

const seed = (queue: number[]): PortalSeed => ({
  ...SEED,
  lines: [{ id: 1, name: 'Sales chat', queue, config: { QUEUE_TYPE: 'evenly' } }],
});

async function portal(
  queue: number[],
  line: Record<string, unknown>,
  start = '2030-05-06T22:00:00+03:00',
): Promise<OlPortal & { clock: PortalClock }> {
  const clock = portalClock({ start: Date.parse(start), running: true });
  const p = await olPortal({ seed: seed(queue), emulator: { clock: clock.now }, clock: clock.now });
  await p.app.ctx.settings.write(p.memberId, 'line:1', lineSettingsSchema, line, null);
  await p.settle();
  return Object.assign(p, { clock });
}

/** `n` new dialogs, one after another; who got each (0 = nobody yet: it waits). */
async function dialogs(p: OlPortal, n: number): Promise<{ chats: number[]; owners: number[] }> {
  const chats: number[] = [];
  const owners: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = await p.newDialog();
    await p.settle();
    chats.push(c);
    owners.push((await p.row(c))!.state === 'waiting' ? 0 : ownerOf(p, c));
  }
  return { chats, owners };
}

describe('quotas on open-line dialogs', () => {
  test('quota N: the Nth dialog still goes to them, the N+1th does not; past everyone it waits, in words', async () => {
    const p = await portal([2, 3, 4], { quota: { enabled: true, perOperator: 1, operators: { '2': 2 } } });
    const { chats, owners } = await dialogs(p, 5);
    assert.deepEqual(owners.slice(0, 4).sort(), [2, 2, 3, 4], 'Boris gets his 2nd (N), the others their 1st');
    assert.equal(owners[4], 0, 'nobody is under the cap: the 5th waits');
    const log = await p.log(chats[4]);
    assert.equal(log[0].action, 'wait');
    assert.deepEqual(log[0].reason.skipped.over_quota, [2, 3, 4]);
    assert.equal(log[0].reason.detail, 'quota_reached');
    assert.match(explain(log[0].reason, 'en'), /reached their quota; it goes out when the quota resets/);
    assert.match(explain(log[0].reason, 'ru'), /исчерпали квоту/);
    const counted = await p.app.ctx.db.all<{ operator_id: number; queue_id: string }>(
      "SELECT operator_id, queue_id FROM quota_ledger WHERE kind = 'dialog' ORDER BY operator_id",
    );
    assert.deepEqual(
      counted.map((r) => [Number(r.operator_id), r.queue_id]),
      [
        [2, 'line:1'],
        [2, 'line:1'],
        [3, 'line:1'],
        [4, 'line:1'],
      ],
    );
  });

  test('the quota resets at midnight (the settings’ zone): the waiting dialog goes out with the next sync', async () => {
    const p = await portal([2], { quota: { enabled: true, perOperator: 1, timeZone: 'Europe/Moscow' } });
    const { chats, owners } = await dialogs(p, 2);
    assert.deepEqual(owners, [2, 0]);
    p.clock.set(Date.parse('2030-05-06T23:59:00+03:00'));
    await p.runJob('sync');
    assert.equal((await p.row(chats[1]))!.state, 'waiting', 'a minute before midnight: still over');
    p.clock.set(Date.parse('2030-05-07T00:00:30+03:00'));
    await p.runJob('sync');
    assert.equal(ownerOf(p, chats[1]), 2, 'after midnight the quota is new');
    // And the new day's count holds again: one more today waits.
    const next = await dialogs(p, 1);
    assert.deepEqual(next.owners, [0]);
  });

  test('weighted shares decide within the cap: 3:1 weights, the heavy one capped at 2', async () => {
    const p = await portal([2, 3], {
      useLineSettings: false,
      rules: {
        mode: 'weighted',
        queue: [
          { id: 2, weight: 3 },
          { id: 3, weight: 1 },
        ],
      },
      quota: { enabled: true, operators: { '2': 2 } },
    });
    const { owners } = await dialogs(p, 5);
    assert.deepEqual(
      owners.slice(0, 2),
      [2, 2],
      'before the cap, the weights decide (3:1 → the heavy one first)',
    );
    assert.equal(owners.filter((x) => x === 2).length, 2, 'the cap holds whatever the weight');
    assert.equal(owners.filter((x) => x === 3).length, 3);
  });

  test('overflow to a person: past everyone’s cap the overflow person gets it, under their own cap', async () => {
    const p = await portal([2, 3], {
      quota: { enabled: true, perOperator: 1, operators: { '6': 1 }, overflow: { to: 'person', userId: 6 } },
    });
    const { chats, owners } = await dialogs(p, 4);
    assert.deepEqual(owners.slice(0, 2).sort(), [2, 3]);
    assert.equal(owners[2], 6, 'the overflow person (not a member of the line)');
    assert.equal(owners[3], 0, 'the overflow person is capped too: it waits');
    const log = (await p.log(chats[2])).find((l) => l.operatorId === 6);
    assert.equal(log?.reason.rule, 'quota_overflow');
    assert.deepEqual(log?.reason.skipped.over_quota, [2, 3]);
    // A chat has no other queue to overflow to: refused, by its key.
    const r = lineSettingsSchema.safeParse({
      quota: { enabled: true, overflow: { to: 'route', route: 'x' } },
    });
    assert.equal(r.success, false);
    assert.equal(r.error?.issues[0].message, 'a dialog cannot overflow to another queue: wait or a person');
  });

  test('the count is the store’s: what another process gave counts toward the cap here', async () => {
    const p = await portal([2, 3, 4], { quota: { enabled: true, perOperator: 1 } });
    const first = await dialogs(p, 1);
    const taken = first.owners[0];
    assert.ok(taken > 0);
    // Another process (another instance, a CLI job) gave dialogs of this line to the two others today.
    const cfg = p.app.ctx.config;
    const store = await openStoreOf({
      DATABASE_PATH: cfg.databasePath,
      DATABASE_URL: cfg.databaseUrl,
      DATABASE_SCHEMA: cfg.databaseSchema,
    });
    try {
      for (const id of [2, 3, 4].filter((x) => x !== taken))
        await recordQuota(store, {
          memberId: p.memberId,
          kind: 'dialog',
          objectId: `session:elsewhere-${id}`,
          operatorId: id,
          at: p.clock.now(),
          queueId: 'line:1',
        });
      // A dialog of another line or of a lead does not count toward this line's cap.
      await recordQuota(store, {
        memberId: p.memberId,
        kind: 'lead',
        objectId: '99',
        operatorId: 2,
        at: p.clock.now(),
      });
    } finally {
      await store.close();
    }
    const next = await dialogs(p, 1);
    assert.deepEqual(next.owners, [0], 'everyone is at the cap by the store’s count: it waits');
  });

  test('a dialog passed on counts for the one who gets it; nobody else under the cap → it stays', async () => {
    const p = await portal([2, 3, 4], {
      useLineSettings: false,
      rules: { mode: 'evenly', passOnAfterSec: 60 },
      quota: { enabled: true, perOperator: 1 },
    });
    const { chats, owners } = await dialogs(p, 2);
    assert.deepEqual([...owners].sort(), [2, 3]);
    // Neither answers. The first passed on goes to Gleb (the only one with room) and uses his
    // quota; the second then finds nobody under the cap and stays where it is.
    p.clock.advance(120_000);
    const s = await p.runJob('pass-on', p.clock.now());
    assert.equal(s.totals.due, 2, JSON.stringify(s.totals));
    assert.equal(s.totals.passedOn, 1, JSON.stringify(s.totals));
    assert.equal(s.totals.stayed, 1, JSON.stringify(s.totals));
    const now = chats.map((c) => ownerOf(p, c));
    assert.equal(now.filter((o) => o === 4).length, 1, `one passed on to Gleb: ${now}`);
    const gleb = await p.app.ctx.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM quota_ledger WHERE kind = 'dialog' AND operator_id = 4",
    );
    assert.equal(Number(gleb?.n), 1, 'the pass-on counted for Gleb');
  });

  test('a transfer the portal refused does not count: the refused operator keeps their quota', async () => {
    const p = await portal([2, 3], { quota: { enabled: true, perOperator: 1 } });
    p.emu.sim.setUser(2, { acceptsTransfers: false });
    const first = await dialogs(p, 1);
    assert.equal(first.owners[0], 3, 'refused by the portal, so the other one');
    const counted = async () =>
      (
        await p.app.ctx.db.all<{ operator_id: number }>(
          "SELECT operator_id FROM quota_ledger WHERE kind = 'dialog' ORDER BY operator_id",
        )
      ).map((r) => Number(r.operator_id));
    assert.deepEqual(await counted(), [3], 'only the one who got it is counted');
    // The refusal runs out: operator 2 still has their one dialog today.
    p.emu.sim.setUser(2, { acceptsTransfers: true });
    await p.app.ctx.db.run('UPDATE operator_refusals SET until = ?', [p.app.ctx.clock() - 1]);
    await p.runJob('sync'); // reads the operators again (the refusal made the app forget them)
    p.svc.d.indexes.invalidate(p.memberId);
    const second = await dialogs(p, 1);
    assert.deepEqual(second.owners, [2]);
    assert.deepEqual(await counted(), [2, 3]);
  });

  test('two instances racing on one line: the cap holds across processes', async () => {
    const emu = await startEmulator({
      app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
      rateLimit: false,
      timerIntervalMs: 0,
      language: 'en',
      seed: seed([2, 3, 4]),
    });
    const c = await startCluster(2, { emu, features: () => [createOpenLinesFeature()], seed: 7 });
    try {
      const page = await emu.install({ appBaseUrl: c.lb.url });
      assert.equal(page.status, 200, page.body);
      emu.finishInstall();
      await waitFor(
        () => [...emu.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y'),
        'bot attached to the line',
        30_000,
      );
      await c.apps[0].ctx.settings.write(
        emu.memberId,
        'line:1',
        lineSettingsSchema,
        { quota: { enabled: true, perOperator: 3 } },
        null,
      );
      // A burst written at once, spread over both instances: each decides on the line while the other does.
      const chats = Array.from(
        { length: 12 },
        (_, i) => emu.sim.clientWrites({ lineId: 1, clientKey: `race-${i}`, text: 'Hello' }).chatId,
      );
      const bots = new Set(emu.state.bots.keys());
      const owners = () =>
        chats.map((id) => emu.state.chats.get(id)!.ownerId).filter((o) => o !== 0 && !bots.has(o));
      const waiting = async () =>
        Number(
          (
            await c.apps[0].ctx.db.get<{ n: number }>(
              "SELECT COUNT(*) AS n FROM ol_dialogs WHERE state = 'waiting'",
            )
          )?.n ?? 0,
        );
      await waitFor(
        async () => {
          await emu.idle();
          for (const a of c.apps) await (a.ctx.services.openlines as OpenLinesService).idle();
          return owners().length + (await waiting()) === 12;
        },
        'every dialog placed or waiting',
        60_000,
      );
      const joins = c.apps.map(
        (a) => (c.lb.events.get(a.url) ?? []).filter((e) => /JOINCHAT/.test(e)).length,
      );
      assert.ok(
        joins.every((n) => n >= 3),
        `both instances placed dialogs (${joins.join(' + ')})`,
      );
      const per: Record<number, number> = {};
      for (const o of owners()) per[o] = (per[o] ?? 0) + 1;
      assert.deepEqual(per, { 2: 3, 3: 3, 4: 3 }, 'three each, never a fourth');
      assert.equal(await waiting(), 3);
    } finally {
      await c.close();
      await emu.stop();
    }
  });

  test('a dialog handed to a deputy at an absence counts toward the deputy’s quota (not capped: the settings’ choice)', async () => {
    const p = await olPortal({ seed: seed([2, 3, 4]), features: [createOpenLinesFeature(), absenceFeature] });
    const w = p.app.ctx.settings;
    await w.write(
      p.memberId,
      'line:1',
      lineSettingsSchema,
      {
        useLineSettings: false,
        rules: { mode: 'strictly', passOnAfterSec: null },
        quota: { enabled: true, perOperator: 1 },
      },
      null,
    );
    await w.write(p.memberId, 'handover', handoverSettingsSchema, { enabled: true }, null);
    const a = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, a), 2, 'strictly: Boris first');
    // Boris is away from now; Gleb covers: the unanswered dialog goes to him.
    await w.write(
      p.memberId,
      'operators',
      operatorsSettingsSchema,
      { '2': { deputyId: 4, absences: [{ from: Date.now() - 1000, to: Date.now() + 3600_000 }] } },
      null,
    );
    await p.runJob('sync');
    assert.equal(ownerOf(p, a), 4, 'handed to the deputy');
    // Counted once, for whoever got it: Boris, then Gleb (a decision the moved row made moot is not).
    const counted = await p.app.ctx.db.all<{ operator_id: number }>(
      'SELECT operator_id FROM quota_ledger ORDER BY operator_id',
    );
    assert.deepEqual(
      counted.map((r) => Number(r.operator_id)),
      [2, 4],
    );
    const [b, c] = (await dialogs(p, 2)).owners;
    assert.equal(b, 3, 'Vera has room');
    assert.equal(c, 0, 'Gleb’s one dialog today was the handed-over one: it waits');
  });
});
