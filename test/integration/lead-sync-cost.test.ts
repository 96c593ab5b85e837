import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type Emulator, type PortalSeed, startEmulator } from 'b24-emulator';
import { createLeadsFeature, type LeadsServices } from '../../src/crm/feature.ts';
import { SWEEP_LEADS } from '../../src/crm/lead-sync-reads.ts';
import { leadSettingsSchema } from '../../src/settings/schema.ts';
import {
  startTestApp,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  type TestApp,
  waitFor,
} from '../helpers/context.ts';

/** Admin 1, operators 2–5 (the lead queue), all at work. */
const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true },
    { id: 2, name: 'Boris', lastName: 'Ivanov' },
    { id: 3, name: 'Vera', lastName: 'Petrova' },
    { id: 4, name: 'Gleb', lastName: 'Sokolov' },
    { id: 5, name: 'Daria', lastName: 'Kuznetsova' },
  ],
};
const OPEN = ['NEW', 'IN_PROCESS', 'PROCESSED'];
const MIN = 60_000;

interface Portal {
  emu: Emulator;
  app: TestApp;
  memberId: string;
  leads: LeadsServices;
  /** moves the portal's clock forward (the sync's "since" is the portal's time) */
  advance(ms: number): void;
  portalNow(): number;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function portal(): Promise<Portal> {
  let shift = 0;
  const clock = () => Date.now() + shift;
  const emu = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: false,
    timerIntervalMs: 0,
    language: 'en',
    seed: SEED,
    clock,
  });
  const app = await startTestApp({ env: { B24_OAUTH_SERVER: emu.url }, features: [createLeadsFeature()] });
  open.push(async () => {
    await app.close();
    await emu.stop();
  });
  const page = await emu.install({ appBaseUrl: app.url });
  assert.equal(page.status, 200, page.body);
  emu.finishInstall();
  await waitFor(
    () => [...emu.state.bindings.values()].some((b) => b.event === 'ONCRMLEADUPDATE'),
    'events bound',
  );
  return {
    emu,
    app,
    memberId: emu.memberId,
    leads: app.ctx.services.leads as LeadsServices,
    advance: (ms) => {
      shift += ms;
    },
    portalNow: clock,
  };
}

async function settle(p: Portal): Promise<void> {
  let quiet = 0;
  await waitFor(
    async () => {
      await p.emu.idle();
      const busy = (await p.app.ctx.inbox.list({ memberId: p.memberId })).some(
        (r) => r.state === 'pending' || r.state === 'processing',
      );
      quiet = busy ? 0 : quiet + 1;
      return quiet >= 2;
    },
    'the app to settle',
    60_000,
  );
}

const rules = { mode: 'evenly', queue: [2, 3, 4, 5].map((id) => ({ id })) };

/**
 * Leads the operators already hold, made while the app's lead distribution is off (so the only
 * way the app learns of them is the sync, and the test is about the sync alone).
 */
async function addHeldLeads(p: Portal, n: number, tag: string): Promise<number[]> {
  await p.app.ctx.settings.write(p.memberId, 'leads', leadSettingsSchema, { enabled: false, rules }, null);
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const holder = 2 + (i % 4);
    ids.push(p.emu.sim.addLead({ title: `${tag} ${i}`, assignedById: holder, createdById: holder }));
  }
  await settle(p);
  await p.app.ctx.settings.write(p.memberId, 'leads', leadSettingsSchema, { rules }, null);
  return ids;
}

/** One sync run: its result, the HTTP requests it sent and the list rows the portal returned for it. */
async function sync(p: Portal) {
  const client = await p.app.ctx.clients.get(p.memberId);
  p.emu.resetCalls();
  const r = await p.leads.sync({
    memberId: p.memberId,
    client,
    now: p.portalNow(),
    dryRun: false,
    log: p.app.ctx.log,
  });
  return { r, requests: p.emu.httpRequests, rows: Number(r.leadsRows) };
}

const loads = async (p: Portal) =>
  Object.fromEntries(await p.leads.repository.loads(p.memberId, [2, 3, 4, 5], OPEN));

describe('lead sync: cost grows with change, not with the open leads', () => {
  test('a sync with 400 open leads sends as many requests as one with 4, and reads a bounded number of rows', async () => {
    const p = await portal();
    await addHeldLeads(p, 4, 'few');
    const first = await sync(p);
    p.advance(5 * MIN);
    await sync(p);
    p.advance(5 * MIN);
    const few = await sync(p);

    await addHeldLeads(p, 396, 'many');
    // The run after they arrived reads them: that cost is per change.
    p.advance(MIN);
    const arrival = await sync(p);
    p.advance(5 * MIN);
    const many = await sync(p);

    assert.deepEqual(await loads(p), { 2: 100, 3: 100, 4: 100, 5: 100 });
    assert.equal(
      many.requests,
      few.requests,
      `requests per sync: ${few.requests} with 4, ${many.requests} with 400`,
    );
    assert.equal(many.requests, 1, 'one batch request');
    assert.ok(
      many.rows <= SWEEP_LEADS,
      `rows read per sync: ${few.rows} with 4, ${many.rows} with 400 (sweep ${SWEEP_LEADS})`,
    );
    assert.deepEqual(
      [first.r.leadsRead, first.r.leadsAdded, few.r.leadsRead, arrival.r.leadsAdded, many.r.leadsRead],
      ['full', 4, 'changed', 396, 'changed'],
    );
  });

  test('what changed is still seen: a closed lead at once, a deleted or moved-away one by the sweep', async () => {
    const p = await portal();
    const ids = await addHeldLeads(p, 120, 'held');
    await sync(p);
    p.advance(2 * MIN);
    assert.deepEqual(await loads(p), { 2: 30, 3: 30, 4: 30, 5: 30 });

    // Changes whose events the app never got (each bumps updatedTime, as the portal does).
    const lead = (id: number) => p.emu.state.crm.leads.get(id)!;
    const touch = (id: number, f: Partial<{ stageId: string; assignedById: number }>) =>
      Object.assign(lead(id), f, { updatedAt: p.portalNow() });
    touch(ids[0]!, { stageId: 'CONVERTED' }); // Boris's
    touch(ids[1]!, { assignedById: 2 }); // Vera's → Boris
    // The last two by id: the sweep (oldest check, then id) comes to them on its third run.
    touch(ids[118]!, { assignedById: 1 }); // Gleb's → the admin, outside the queue
    p.emu.state.crm.leads.delete(ids[119]!); // Daria's, deleted

    const next = await sync(p);
    assert.equal(next.r.leadsRead, 'changed');
    assert.deepEqual(
      await loads(p),
      { 2: 30, 3: 29, 4: 30, 5: 30 },
      'the close and the move between operators at the next run',
    );
    for (let k = 0; k < 3; k++) {
      p.advance(MIN);
      await sync(p);
    }
    assert.deepEqual(
      await loads(p),
      { 2: 30, 3: 29, 4: 29, 5: 29 },
      'the moved-away and the deleted within ceil(120 / 50) runs of the sweep',
    );
  });
});
