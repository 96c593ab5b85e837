import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type Harness, startHarness } from './helpers.ts';

// "Applied, answer lost": the portal does the work, the caller never hears (issue: exactly
// once toward the portal).

const addLead = (h: Harness, title: string) =>
  h.call('crm.item.add', { entityTypeId: 1, fields: { title } }).then(
    (r) => ({ answered: true as const, status: r.status }),
    (err: Error) => ({ answered: false as const, error: err }),
  );

const leadTitles = (h: Harness) => [...h.emu.state.crm.leads.values()].map((l) => l.title);

describe('emulator: answers lost after the work is done', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('reset: the write happened, the caller sees the connection go', async () => {
    h = await startHarness();
    h.emu.injectWireFault({ method: 'crm.item.add', kind: 'reset', times: 1 });
    const first = await addLead(h, 'lost answer');
    assert.equal(first.answered, false, 'the caller got no answer');
    assert.ok(leadTitles(h).includes('lost answer'), 'but the portal made the lead');
    const second = await addLead(h, 'answered');
    assert.deepEqual(second, { answered: true, status: 200 }, 'only the next `times` requests');
    assert.deepEqual(h.emu.lostAnswers, { reset: 1, hang: 0 });
  });

  it('a rate drops that share of the answers, the same ones in every run of a seed', async () => {
    const run = async () => {
      const hh = await startHarness();
      try {
        hh.emu.injectWireFault({ kind: 'reset', rate: 0.3, seed: 7 });
        const out: boolean[] = [];
        for (let i = 0; i < 30; i++) out.push((await addLead(hh, `lead ${i}`)).answered);
        assert.equal(
          leadTitles(hh).filter((t) => String(t).startsWith('lead ')).length,
          30,
          'every write done',
        );
        assert.equal(out.filter((a) => !a).length, hh.emu.lostAnswers.reset);
        return out;
      } finally {
        await hh.stop();
      }
    };
    const a = await run();
    const lost = a.filter((x) => !x).length;
    assert.ok(lost >= 3 && lost <= 18, `about 30 % lost (${lost} of 30)`);
    assert.deepEqual(await run(), a);
  });

  it('hang: the write happened and no answer comes until the caller gives up', async () => {
    h = await startHarness();
    h.emu.injectWireFault({ method: 'crm.item.add', kind: 'hang', times: 1 });
    const res = await fetch(`${h.emu.url}/rest/crm.item.add`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ entityTypeId: 1, fields: { title: 'hung' }, auth: h.token }),
      signal: AbortSignal.timeout(300),
    }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    assert.equal(res, 'TimeoutError');
    assert.ok(leadTitles(h).includes('hung'));
  });

  it('a hold keeps done requests unanswered until released', async () => {
    h = await startHarness();
    const held = h.emu.holdAnswers('crm.item.add');
    const pending = addLead(h, 'held');
    await held.arrived;
    assert.equal(held.count, 1);
    assert.ok(leadTitles(h).includes('held'), 'done while the answer waits');
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(settled, false, 'no answer yet');
    held.release();
    assert.deepEqual(await pending, { answered: true, status: 200 });
    assert.deepEqual(
      await addLead(h, 'after'),
      { answered: true, status: 200 },
      'a released hold holds nothing',
    );
  });
});
