import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { allFeatures } from '../../src/features.ts';
import { runnerFor } from '../../src/jobs/feature.ts';
import { DAY_MS } from '../../src/jobs/maintenance/idle-rules.ts';
import { JOB_NAMES } from '../../src/jobs/types.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

/** Portal methods that change something (event.offline.get reserves a batch, so it counts). */
const WRITES =
  /transfer|finish|\.update|\.add|\.bind|register|offline\.(get|clear|error)|operator\.(answer|skip|spam)|bot\.session\.operator/i;

/**
 * Every table but the jobs' own journal and leases, row by row; also not the process's heartbeat
 * (app_instances, rewritten every 2 s whatever runs), the shared REST bucket (rate_buckets: a dry
 * run reads the portal, and reading spends tokens) nor the operator snapshot (what the run read
 * of the operators, kept for every process: a reading, like the line's fetched_at below). On
 * either store: the tables come from its own catalogue, rows are compared in a stable order.
 */
const NOT_COMPARED = [
  'job_runs',
  'job_leases',
  'schema_migrations',
  'app_instances',
  'rate_buckets',
  'operator_snapshots',
];

async function snapshot(p: OlPortal): Promise<Record<string, unknown[]>> {
  const db = p.app.ctx.db;
  const tables =
    db.dialect.name === 'postgres'
      ? await db.all<{ name: string }>(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
      : await db.all<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        );
  const out: Record<string, unknown[]> = {};
  for (const { name } of tables.sort((a, b) => a.name.localeCompare(b.name))) {
    if (NOT_COMPARED.includes(name)) continue;
    const rows = await db.all<Record<string, unknown>>(`SELECT * FROM "${name}"`);
    out[name] = rows
      .map((r) => JSON.stringify(r, Object.keys(r).sort()))
      .sort()
      .map((j) => JSON.parse(j));
  }
  // When sync last read each line is a reading time, not a change.
  for (const row of out.ol_lines as { fetched_at?: number }[]) delete row.fetched_at;
  out.store_versions = (out.store_versions as { name: string }[]).filter(
    (v) => !v.name.startsWith('operators:'),
  );
  // Nor is the portal time the lead and deal syncs read changes from next (it moves with the clock).
  for (const table of ['lead_sync_marks', 'deal_sync_marks']) {
    for (const row of (out[table] ?? []) as { since?: string; updated_at?: number }[]) {
      delete row.since;
      delete row.updated_at;
    }
  }
  return out;
}

/**
 * A portal with something for every job to do at `now`: two answered dialogs long silent, one
 * held by an operator who has left the line's queue; a lead (and its offline copy).
 */
async function busyPortal(): Promise<{ p: OlPortal; now: number }> {
  const p = await olPortal({
    seed: {
      ...SEED,
      lines: [{ id: 1, name: 'Sales chat', queue: [2, 3, 4], config: { QUEUE_TYPE: 'evenly' } }],
    },
    features: allFeatures,
    // The day's hour at 0, so a second run always meets a day already done, whatever the time.
    env: { RECLAIM_HOUR: '0' },
  });
  const left = await p.newDialog();
  const answered = await p.newDialog();
  await p.settle();
  for (const chatId of [left, answered])
    p.emu.sim.operatorWrites({ chatId, userId: ownerOf(p, chatId), text: 'Hello' });
  const line = p.emu.state.lines.get(1)!;
  line.queue = line.queue.filter((e) => e.entityId !== ownerOf(p, left));
  p.emu.sim.addLead({ title: 'From the site', phone: '+79001112233' });
  await p.settle();
  const now = (await p.row(answered))!.arrivedAt + 31 * DAY_MS;
  return { p, now };
}

describe('every job: --dry-run and running twice', () => {
  test('a dry run of each job writes nothing: not to the portal, not to the database', async () => {
    const { p, now } = await busyPortal();
    const before = await snapshot(p);
    const calls = p.emu.calls.length;
    for (const name of JOB_NAMES) {
      const s = await runnerFor(p.app.ctx).run(name, { portal: p.memberId, now, dryRun: true });
      await p.settle();
      assert.equal(s.status, 'ok', `${name}: ${JSON.stringify(s)}`);
      assert.equal(s.dryRun, true);
    }
    const writes = p.emu.calls.slice(calls).filter((c) => WRITES.test(c.method));
    assert.deepEqual(
      writes.map((c) => c.method),
      [],
      'no portal writes',
    );
    assert.deepEqual(await snapshot(p), before, 'no database change outside the job journal');
    const journal = await p.app.ctx.db.all<{ dry_run: number }>(
      'SELECT dry_run FROM job_runs WHERE member_id = ?',
      [p.memberId],
    );
    assert.equal(journal.length, JOB_NAMES.length, 'one journal row per run');
    assert.ok(journal.every((j) => j.dry_run === 1));
  });

  test('each job run again at the same instant finds nothing left to do', async () => {
    const { p, now } = await busyPortal();
    const first: Record<string, Record<string, number>> = {};
    for (const name of JOB_NAMES) {
      const s = await runnerFor(p.app.ctx).run(name, { portal: p.memberId, now });
      await p.settle();
      assert.equal(s.status, 'ok', `${name}: ${JSON.stringify(s)}`);
      first[name] = s.totals;
    }
    assert.equal(first['reclaim-departed'].reclaimed, 1, JSON.stringify(first));
    assert.equal(first['close-idle'].closed_no_reply, 2, JSON.stringify(first));
    const before = await snapshot(p);
    const calls = p.emu.calls.length;
    for (const name of JOB_NAMES) {
      const s = await runnerFor(p.app.ctx).run(name, { portal: p.memberId, now });
      await p.settle();
      assert.equal(s.status, 'ok', `${name}: ${JSON.stringify(s)}`);
    }
    assert.deepEqual(
      p.emu.calls
        .slice(calls)
        .filter((c) => WRITES.test(c.method) && !/offline\.get/.test(c.method))
        .map((c) => c.method),
      [],
      'no portal writes the second time',
    );
    assert.deepEqual(await snapshot(p), before, 'nothing changed the second time');
  });
});
