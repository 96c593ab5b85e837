import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../../src/db/migrate.ts';
import { type LeadOutcome, LeadRepository } from '../../src/db/repositories/leads.ts';
import { Database } from '../../src/db/sqlite.ts';

const M = 'member-a';
const OPEN = ['NEW', 'IN_PROCESS'];

function outcome(leadId: number, o: Partial<LeadOutcome> = {}): LeadOutcome {
  return {
    memberId: M,
    leadId,
    phase: 'decided',
    queueId: 'leads:default',
    statusId: 'NEW',
    holderId: 7,
    previousId: 1,
    operatorId: 7,
    reason: { rule: 'evenly' },
    comment: 'why',
    receivedAt: 1000,
    at: 2000,
    ...o,
  };
}

describe('lead register', () => {
  let db: Database;
  let repo: LeadRepository;
  before(async () => {
    db = await Database.open(':memory:');
    await migrate(db);
    repo = new LeadRepository(db);
  });
  after(() => db.close());

  test('a decision is recorded once: a second run cannot decide the same lead again', async () => {
    assert.equal(await repo.recordOutcome(outcome(1)), true);
    assert.equal(await repo.recordOutcome(outcome(1, { operatorId: 8, holderId: 8 })), false);
    const row = await repo.get(M, 1);
    assert.equal(row?.phase, 'decided');
    assert.equal(row?.operatorId, 7);
    assert.deepEqual(row?.reason, { rule: 'evenly' });
    assert.equal(row?.updateDone, false);
    assert.equal(row?.commentId, null);
  });

  test('a waiting lead or one known only from sync can get its decision later', async () => {
    await repo.recordOutcome(outcome(2, { phase: 'waiting', operatorId: null, holderId: 1 }));
    assert.equal(await repo.recordOutcome(outcome(2)), true);
    assert.equal((await repo.get(M, 2))?.phase, 'decided');
    assert.equal((await repo.get(M, 2))?.receivedAt, 1000, 'the first arrival is kept');

    await repo.applySync(M, [{ leadId: 3, holderId: 9, statusId: 'NEW' }], [], 3000);
    assert.equal((await repo.get(M, 3))?.phase, 'seen');
    assert.equal(await repo.recordOutcome(outcome(3)), true);
  });

  test('write progress accumulates; the echo is used up once and only inside its window', async () => {
    await repo.recordOutcome(outcome(4));
    await repo.markWritten(M, 4, { updateDone: true, echoUntil: 5000, at: 4000 });
    await repo.markWritten(M, 4, { commentId: 77, at: 4100 });
    const row = await repo.get(M, 4);
    assert.equal(row?.updateDone, true, 'a later mark does not undo the update');
    assert.equal(row?.commentId, 77);
    assert.equal(await repo.consumeEcho(M, 4, 6000), false, 'after the window');
    assert.equal(await repo.consumeEcho(M, 4, 4500), true);
    assert.equal(await repo.consumeEcho(M, 4, 4500), false, 'only one echo per write');
  });

  test('load counts open leads per holder, and follows observed changes', async () => {
    const r = new LeadRepository(db);
    const m = 'member-load';
    await r.recordOutcome({ ...outcome(10), memberId: m, holderId: 5 });
    await r.recordOutcome({ ...outcome(11), memberId: m, holderId: 5 });
    await r.recordOutcome({ ...outcome(12), memberId: m, holderId: 6, statusId: 'CONVERTED' });
    await r.recordOutcome({ ...outcome(13), memberId: m, holderId: 6 });
    assert.deepEqual([...(await r.loads(m, [5, 6, 9], OPEN))].sort(), [
      [5, 2],
      [6, 1],
    ]);
    await r.observe(m, 11, { holderId: 6, statusId: 'IN_PROCESS', at: 1 });
    await r.observe(m, 13, { holderId: 6, statusId: 'JUNK', at: 1 });
    assert.deepEqual([...(await r.loads(m, [5, 6], OPEN))].sort(), [
      [5, 1],
      [6, 1],
    ]);
    await r.markGone(m, 10, 2);
    assert.deepEqual([...(await r.loads(m, [5, 6], OPEN))], [[6, 1]]);
    assert.deepEqual((await r.holders(m, OPEN)).sort(), [6]);
  });

  test('sync: adds unknown open leads, corrects holders, releases what is no longer held, leaves decided leads alone', async () => {
    const r = new LeadRepository(db);
    const m = 'member-sync';
    await r.recordOutcome({ ...outcome(20), memberId: m, phase: 'done', holderId: 5 });
    await r.recordOutcome({ ...outcome(21), memberId: m, phase: 'done', holderId: 5 });
    await r.recordOutcome({ ...outcome(22), memberId: m, phase: 'decided', holderId: 5 });
    await r.recordOutcome({ ...outcome(23), memberId: m, phase: 'waiting', holderId: 1, previousId: 1 });
    const res = await r.applySync(
      m,
      [
        { leadId: 20, holderId: 6, statusId: 'IN_PROCESS' },
        { leadId: 22, holderId: 1, statusId: 'NEW' },
        { leadId: 23, holderId: 8, statusId: 'NEW' },
        { leadId: 24, holderId: 5, statusId: 'NEW' },
      ],
      [21, 22],
      9000,
    );
    assert.deepEqual(res, { added: 1, changed: 2, released: 2 });
    assert.equal((await r.get(m, 20))?.holderId, 6);
    assert.equal((await r.get(m, 21))?.holderId, null);
    assert.equal((await r.get(m, 22))?.holderId, 5, 'a decided lead is its handler’s to finish');
    assert.equal((await r.get(m, 23))?.phase, 'skipped', 'a person placed the waiting lead');
    assert.equal((await r.get(m, 24))?.phase, 'seen');
    assert.deepEqual((await r.openLeads(m, OPEN)).map((x) => x.leadId).sort(), [20, 22, 23, 24]);
  });

  test('waiting leads come oldest first', async () => {
    const r = new LeadRepository(db);
    const m = 'member-wait';
    await r.recordOutcome({ ...outcome(31), memberId: m, phase: 'waiting', receivedAt: 300 });
    await r.recordOutcome({ ...outcome(30), memberId: m, phase: 'waiting', receivedAt: 200 });
    await r.recordOutcome({ ...outcome(32), memberId: m, phase: 'done', receivedAt: 100 });
    assert.deepEqual(
      (await r.waiting(m)).map((x) => x.leadId),
      [30, 31],
    );
  });
});
