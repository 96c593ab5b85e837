import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultSeed, type PortalSeed } from '../src/index.ts';
import { type Harness, startHarness } from './helpers.ts';

/** The default portal plus 120 operators, so user.get needs three pages. */
function bigSeed(): PortalSeed {
  const seed = defaultSeed('en');
  for (let i = 0; i < 120; i++) {
    seed.users!.push({
      id: 200 + i,
      name: `Op${i}`,
      lastName: 'Bulk',
      departments: [3],
      active: i % 10 !== 0,
    });
  }
  return seed;
}

describe('emulator REST wire format', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ seed: bigSeed(), language: 'en' });
  });
  after(() => h.stop());

  it('answers every success with result and a complete time block', async () => {
    const { status, body } = await h.call('server.time');
    assert.equal(status, 200);
    assert.match(body.result, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    for (const k of ['start', 'finish', 'duration', 'processing', 'operating_reset_at', 'operating']) {
      assert.equal(typeof body.time[k], 'number', k);
    }
    assert.match(body.time.date_start, /T\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    assert.ok(body.time.finish >= body.time.start);
  });

  it('accepts form bodies, query auth, a doubled slash and a .json suffix', async () => {
    const form = await fetch(`${h.emu.url}/rest//profile.json?auth=${h.token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    assert.equal(form.status, 200);
    assert.equal((await form.json()).result.ADMIN, true);
    const filtered = await fetch(`${h.emu.url}/rest/user.get`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `auth=${h.token}&FILTER[ID]=3`,
    });
    const json = await filtered.json();
    assert.deepEqual(
      json.result.map((u: any) => u.ID),
      ['3'],
    );
  });

  it('answers the documented errors for bad tokens and unknown methods', async () => {
    const bad = await h.call('profile', {}, 'not-a-token');
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.body, { error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' });
    const missing = await fetch(`${h.emu.url}/rest/profile`, { method: 'POST' });
    assert.equal(missing.status, 401);
    const unknown = await h.call('no.such.method');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'ERROR_METHOD_NOT_FOUND');
    assert.equal(unknown.body.time, undefined);
  });

  it('pages user.get by 50 with total and next', async () => {
    const first = await h.call('user.get', { FILTER: { UF_DEPARTMENT: 3 } });
    assert.equal(first.body.result.length, 50);
    const total = first.body.total;
    assert.equal(total, 4 + 120);
    assert.equal(first.body.next, 50);
    const second = await h.call('user.get', { FILTER: { UF_DEPARTMENT: 3 }, start: 50 });
    assert.equal(second.body.next, 100);
    const third = await h.call('user.get', { FILTER: { UF_DEPARTMENT: 3 }, start: 100 });
    assert.equal(third.body.result.length, total - 100);
    assert.equal(third.body.next, undefined);
    const ids = [...first.body.result, ...second.body.result, ...third.body.result].map((u: any) =>
      Number(u.ID),
    );
    assert.equal(new Set(ids).size, total);
  });

  it('honours start=-1 with filter[>ID] so a cursor loop ends', async () => {
    let last = 0;
    const seen: number[] = [];
    for (let guard = 0; guard < 10; guard++) {
      const page = await h.call('user.get', {
        FILTER: { '>ID': last, ACTIVE: true },
        sort: 'ID',
        order: 'ASC',
        start: -1,
      });
      assert.equal(page.body.next, undefined);
      assert.equal(page.body.total, 0);
      const rows = page.body.result as any[];
      seen.push(...rows.map((u) => Number(u.ID)));
      if (rows.length < 50) break;
      last = Number(rows[rows.length - 1].ID);
    }
    const activeCount = [...h.emu.state.users.values()].filter((u) => u.active).length;
    assert.equal(seen.length, activeCount);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
    );
  });

  it('runs a batch with $result references and per-command errors (HTTP 200)', async () => {
    const { status, body } = await h.call('batch', {
      halt: 0,
      cmd: {
        me: 'user.current',
        dep: 'department.get?ID=$result[me][UF_DEPARTMENT][0]',
        bad: 'no.such.method',
        page: 'user.get?FILTER[UF_DEPARTMENT]=3',
      },
    });
    assert.equal(status, 200);
    assert.equal(typeof body.time.start, 'number');
    const r = body.result;
    assert.equal(r.result.me.ID, '1');
    assert.deepEqual(
      r.result.dep.map((d: any) => d.ID),
      ['1'],
    );
    assert.deepEqual(r.result_error.bad, {
      error: 'ERROR_METHOD_NOT_FOUND',
      error_description: 'Method not found!',
    });
    assert.equal(r.result_total.page, 124);
    assert.equal(r.result_next.page, 50);
    assert.equal(typeof r.result_time.me.start, 'number');
    const viaBatch = h.emu.calls.filter((c) => c.viaBatch).map((c) => c.method);
    assert.ok(viaBatch.includes('user.current') && viaBatch.includes('department.get'));
  });

  it('accepts cmd as an array and halts at the first error with halt=1', async () => {
    const { body } = await h.call('batch', { halt: 1, cmd: ['profile', 'bad.method', 'server.time'] });
    assert.ok(Array.isArray(body.result.result));
    assert.equal(body.result.result.length, 1);
    assert.equal(body.result.result_error['1'].error, 'ERROR_METHOD_NOT_FOUND');
    assert.equal(body.result.result_error['2'], undefined);
    assert.deepEqual(body.result.result_next, []);
  });

  it('refuses a nested batch per command and more than 50 commands as a whole', async () => {
    const nested = await h.call('batch', { cmd: { inner: 'batch?cmd[0]=profile', ok: 'profile' } });
    assert.equal(nested.body.result.result_error.inner.error, 'ERROR_BATCH_METHOD_NOT_ALLOWED');
    assert.equal(nested.body.result.result.ok.ID, '1');
    const tooMany = await h.call('batch', { cmd: Array.from({ length: 51 }, () => 'server.time') });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.error, 'ERROR_BATCH_LENGTH_EXCEEDED');
    const fifty = await h.call('batch', { cmd: Array.from({ length: 50 }, () => 'server.time') });
    assert.equal(fifty.status, 200);
    assert.equal(fifty.body.result.result.length, 50);
  });

  it('counts a batch as one HTTP request and records every call', async () => {
    h.emu.resetCalls();
    await h.call('batch', { cmd: { a: 'profile', b: 'user.admin' } });
    assert.equal(h.emu.httpRequests, 1);
    assert.deepEqual(
      h.emu.calls.map((c) => [c.method, c.viaBatch, c.status]),
      [
        ['profile', true, 200],
        ['user.admin', true, 200],
        ['batch', false, 200],
      ],
    );
  });

  it('injects faults per method, also inside a batch', async () => {
    h.emu.injectFault({ method: 'profile', times: 2, status: 500, error: 'INTERNAL_SERVER_ERROR' });
    const direct = await h.call('profile');
    assert.equal(direct.status, 500);
    const batched = await h.call('batch', { cmd: { p: 'profile' } });
    assert.equal(batched.body.result.result_error.p.error, 'INTERNAL_SERVER_ERROR');
    const healed = await h.call('profile');
    assert.equal(healed.status, 200);
  });

  it('crm.item.list pages, filters by phone and omits fm unless select is *', async () => {
    const add = await h.call('crm.item.add', {
      entityTypeId: 1,
      fields: { title: 'Call me', fm: [{ typeId: 'PHONE', valueType: 'WORK', value: '+7 (999) 123-45-67' }] },
    });
    assert.equal(add.status, 200);
    const id = add.body.result.item.id;
    assert.equal(add.body.result.item.assignedById, 1);
    const plain = await h.call('crm.item.list', { entityTypeId: 1, filter: { phone: '89991234567' } });
    assert.deepEqual(
      plain.body.result.items.map((i: any) => i.id),
      [id],
    );
    assert.equal(plain.body.result.items[0].fm, undefined);
    const star = await h.call('crm.item.list', { entityTypeId: 1, filter: { id }, select: ['*'] });
    assert.equal(star.body.result.items[0].fm[0].typeId, 'PHONE');
    const badField = await h.call('crm.item.list', { entityTypeId: 1, filter: { NOPE: 1 } });
    assert.equal(badField.status, 400);
    assert.equal(badField.body.error, 'INVALID_ARG_VALUE');
    const legacy = await h.call('crm.lead.get', { id });
    assert.equal(legacy.body.result.ASSIGNED_BY_ID, '1');
    assert.equal(legacy.body.result.PHONE[0].VALUE, '+7 (999) 123-45-67');
    const missing = await h.call('crm.item.get', { entityTypeId: 1, id: 999999 });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'NOT_FOUND');
  });
});
