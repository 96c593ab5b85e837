import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decide, defaultRules } from '../../src/engine/index.ts';
import { OperatorDirectory, toOperatorState, toOperatorStates } from '../../src/operators/index.ts';
import { parseAbsent } from '../../src/operators/parse.ts';
import type { Call, PortalClient } from '../../src/portal/client.ts';

interface FakeUser {
  id: number;
  active?: boolean;
  online?: boolean;
  timeman?: string;
  absent?: string | false;
  departments?: number[];
}

/** A PortalClient over a few users that counts batch requests (≤ 50 commands each). */
function fakeClient(users: FakeUser[], o: { departments?: { ID: string; PARENT?: string }[] } = {}) {
  const byId = new Map(users.map((u) => [u.id, u]));
  const stats = { requests: 0, commands: 0, maxCommands: 0, methods: [] as string[] };
  const run = (method: string, p: any): any => {
    stats.methods.push(method);
    if (method === 'user.get') {
      const ids: number[] | undefined = p.FILTER?.ID;
      const deps: number[] | undefined = p.FILTER?.UF_DEPARTMENT;
      return users
        .filter((u) => (ids ? ids.includes(u.id) : true))
        .filter((u) => (deps ? (u.departments ?? []).some((d) => deps.includes(d)) : true))
        .filter((u) => (p.FILTER?.ACTIVE ? u.active !== false : true))
        .map((u) => ({
          ID: String(u.id),
          ACTIVE: u.active !== false,
          NAME: `User`,
          LAST_NAME: String(u.id),
          IS_ONLINE: u.online === false ? 'N' : 'Y',
          UF_DEPARTMENT: u.departments ?? [1],
          TIME_ZONE: 'Europe/Moscow',
        }));
    }
    if (method === 'im.user.list.get') {
      return Object.fromEntries(
        (p.ID as number[])
          .filter((id) => byId.has(id))
          .map((id) => [String(id), { id, status: 'online', absent: byId.get(id)!.absent ?? false }]),
      );
    }
    if (method === 'timeman.status') {
      const u = byId.get(p.USER_ID);
      if (!u) throw { error: '', error_description: 'User not found' };
      return { STATUS: u.timeman ?? 'OPENED' };
    }
    if (method === 'department.get') return o.departments ?? [];
    throw new Error(`unexpected ${method}`);
  };
  const client: PortalClient = {
    memberId: 'm',
    async call(method, params = {}) {
      stats.requests++;
      return run(method, params);
    },
    async callOnce(method, params = {}) {
      stats.requests++;
      return run(method, params);
    },
    async page(method, params = {}) {
      stats.requests++;
      return { result: run(method, params) };
    },
    async listAll(method, params = {}) {
      stats.requests++;
      return run(method, params);
    },
    async batch(calls: Record<string, Call>) {
      const out = { results: {} as Record<string, any>, errors: {} as Record<string, any> };
      const labels = Object.keys(calls);
      for (let i = 0; i < labels.length; i += 50) {
        const chunk = labels.slice(i, i + 50);
        stats.requests++;
        stats.commands += chunk.length;
        stats.maxCommands = Math.max(stats.maxCommands, chunk.length);
        await new Promise((r) => setTimeout(r, 1));
        for (const label of chunk) {
          const [m, p] = calls[label];
          try {
            out.results[label] = run(m, p ?? {});
          } catch (e) {
            out.errors[label] = e;
          }
        }
      }
      return out;
    },
  };
  return { client, stats, users: byId };
}

describe('OperatorDirectory', () => {
  test('reads many users in batches of at most 50 commands and merges the three sources', async () => {
    const users = Array.from({ length: 120 }, (_, i) => ({ id: i + 1 }) as FakeUser);
    users[4].timeman = 'PAUSED';
    users[5].absent = '2030-01-02T10:00:00+03:00';
    users[6].active = false;
    users[7].online = false;
    const { client, stats } = fakeClient(users);
    const dir = new OperatorDirectory({ clock: () => 1_000 });
    const got = await dir.get(
      'm',
      client,
      users.map((u) => u.id),
    );
    assert.equal(got.size, 120);
    // 3 user.get + 3 im.user.list.get + 120 timeman.status = 126 commands → 3 requests.
    assert.equal(stats.commands, 126);
    assert.equal(stats.requests, 3);
    assert.ok(stats.maxCommands <= 50);
    assert.equal(got.get(5)!.workday, 'PAUSED');
    assert.equal(got.get(6)!.absentUntil, Date.parse('2030-01-02T10:00:00+03:00'));
    assert.equal(got.get(7)!.active, false);
    assert.equal(got.get(8)!.online, false);
    assert.equal(got.get(1)!.timeZone, 'Europe/Moscow');
    assert.equal(got.get(1)!.name, 'User 1');
  });

  test('cached within the TTL, read again after it, and concurrent askers share one read', async () => {
    let now = 0;
    const { client, stats } = fakeClient([{ id: 1 }, { id: 2 }, { id: 3 }]);
    const dir = new OperatorDirectory({ clock: () => now, ttlMs: 30_000 });
    await Promise.all(Array.from({ length: 20 }, () => dir.get('m', client, [1, 2, 3])));
    assert.equal(stats.requests, 1, 'twenty concurrent askers, one request');
    now = 29_999;
    await dir.get('m', client, [1, 2]);
    assert.equal(stats.requests, 1, 'young entries come from the cache');
    now = 30_000;
    await dir.get('m', client, [1, 2]);
    assert.equal(stats.requests, 2, 'stale entries are read again');
    await dir.get('m', client, [1], { fresh: true });
    assert.equal(stats.requests, 3, 'fresh forces a read');
  });

  test('unknown users are left out (and not asked again within the TTL)', async () => {
    const { client, stats } = fakeClient([{ id: 1 }]);
    const dir = new OperatorDirectory({ clock: () => 0 });
    const got = await dir.get('m', client, [1, 99]);
    assert.deepEqual([...got.keys()], [1]);
    await dir.get('m', client, [99]);
    assert.equal(stats.requests, 1);
  });

  test('a failed refresh falls back to older entries, but fails when there are none', async () => {
    let now = 0;
    const { client } = fakeClient([{ id: 1 }]);
    const dir = new OperatorDirectory({ clock: () => now, ttlMs: 10 });
    await dir.get('m', client, [1]);
    const broken = { ...client, batch: async () => Promise.reject(new Error('portal down')) };
    now = 100;
    const got = await dir.get('m', broken, [1]);
    assert.equal(got.get(1)?.id, 1);
    await assert.rejects(dir.get('m', broken, [2]), /portal down/);
  });

  test('departmentMembers expands sub-departments to their active users', async () => {
    const { client } = fakeClient(
      [
        { id: 1, departments: [1] },
        { id: 2, departments: [5] },
        { id: 3, departments: [7] },
        { id: 4, departments: [5], active: false },
        { id: 5, departments: [9] },
      ],
      {
        departments: [
          { ID: '1' },
          { ID: '5', PARENT: '1' },
          { ID: '7', PARENT: '5' },
          { ID: '9', PARENT: '1' },
        ],
      },
    );
    const dir = new OperatorDirectory({ clock: () => 0 });
    const m = await dir.departmentMembers('m', client, [5, 9]);
    assert.deepEqual(m.get(5), [2, 3]);
    assert.deepEqual(m.get(9), [5]);
  });

  test('parseAbsent: false → null, a bare date → the end of that day, a date-time as is', () => {
    assert.equal(parseAbsent(false), null);
    assert.equal(parseAbsent(''), null);
    assert.equal(parseAbsent('2030-01-02'), Date.UTC(2030, 0, 3));
    assert.equal(parseAbsent('02.01.2030'), Date.UTC(2030, 0, 3));
    assert.equal(parseAbsent('2030-01-02T10:00:00Z'), Date.UTC(2030, 0, 2, 10));
    assert.equal(parseAbsent('soon'), null);
  });
});

describe('toOperatorState', () => {
  test('merges directory, settings, queue bookkeeping and load into what the engine decides on', () => {
    const info = {
      id: 7,
      name: 'A',
      active: true,
      online: true,
      workday: 'OPENED' as const,
      absentUntil: null,
      departments: [1],
      timeZone: null,
      fetchedAt: 0,
    };
    const st = toOperatorState(info, {
      settings: { schedule: null, paused: true, pausedUntil: 5_000 },
      queue: { lastAssignedAt: 42, credit: 1.5 },
      load: { clientLast: 2 },
    })!;
    assert.equal(st.pausedUntil, 5_000);
    assert.equal(st.paused, false, 'a timed pause is pausedUntil, not an open-ended pause');
    assert.equal(st.lastAssignedAt, 42);
    assert.deepEqual(st.load, { notAnswered: 0, clientLast: 2, operatorLast: 0 });
    assert.equal(toOperatorState(undefined), undefined);

    const rules = { ...defaultRules(), queue: [7, 8].map((id) => ({ id, weight: 1, autoAssign: true })) };
    const states = toOperatorStates([7, 8], new Map([[7, info]]), {
      settings: { '7': { schedule: null, paused: false, pausedUntil: null } },
    });
    assert.equal(states.length, 1);
    const d = decide(rules, states, { id: 'x', kind: 'dialog' }, 1_000);
    assert.equal(d.action, 'assign');
    assert.equal(d.action === 'assign' && d.operatorId, 7);
  });
});
