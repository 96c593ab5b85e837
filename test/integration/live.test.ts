import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { LiveMarksRepository } from '../../src/db/repositories/live-marks.ts';
import type { LiveHub } from '../../src/web/live-hub.ts';
import { appForm, bootOf, type PortalsHarness, startPortals } from '../browser/harness.ts';
import { waitFor } from '../helpers/context.ts';

/** Reads a server-sent-events stream into a list of event names, until `stop()`. */
async function listen(url: string, token?: string) {
  const ctl = new AbortController();
  const events: string[] = [];
  const res = await fetch(url, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    signal: ctl.signal,
  });
  const done = (async () => {
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const m of value.matchAll(/^event: (\w+)$/gm)) events.push(m[1]);
      }
    } catch {
      // aborted
    }
  })();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    events,
    async stop() {
      ctl.abort();
      await done;
    },
  };
}

describe('the live stream (/api/live)', () => {
  let h: PortalsHarness;
  let tokenA: string;
  let tokenB: string;
  before(async () => {
    h = await startPortals({ second: true });
    const page = async (emu: typeof h.a) =>
      bootOf((await request(h.app.ctx.app).post('/app?LANG=en').type('form').send(appForm(emu, 1))).text)
        .token;
    tokenA = await page(h.a);
    tokenB = await page(h.b!);
    // The installs' own set-up (the application-token check through the inbox, the bot, event
    // binding) finishes first: then any change is the test's. On a loaded machine it takes a while.
    const marks = new LiveMarksRepository(h.app.ctx.db);
    const both = async () =>
      `${await marks.fingerprint(h.a.memberId)}/${await marks.fingerprint(h.b!.memberId)}`;
    await waitFor(
      async () => {
        for (const emu of [h.a, h.b!]) {
          if (!(await h.app.ctx.store.find(emu.memberId))?.applicationTokenConfirmedAt) return false;
          const backlog = await h.app.ctx.inbox.backlog(emu.memberId);
          if (backlog.pending + backlog.processing > 0) return false;
        }
        const first = await both();
        await new Promise((r) => setTimeout(r, 1500));
        return first === (await both());
      },
      'the portals settled',
      60_000,
    );
  });
  after(async () => {
    await h?.close();
  });

  it('is authorised like /api: no token, no stream', async () => {
    const s = await listen(`${h.app.url}/api/live`);
    assert.equal(s.status, 401);
    await s.stop();
  });

  it("tells a portal's pages of its own changes, and nothing of another portal's", async () => {
    const a = await listen(`${h.app.url}/api/live`, tokenA);
    const b = await listen(`${h.app.url}/api/live`, tokenB);
    try {
      assert.equal(a.status, 200);
      assert.match(a.type ?? '', /text\/event-stream/);
      await waitFor(() => a.events.includes('hello') && b.events.includes('hello'), 'both streams open');
      const hub = h.app.ctx.services.liveHub as LiveHub;
      await waitFor(() => Object.keys(hub.watching()).length === 2, 'both portals watched');
      // one change on portal a, made as every part of the app makes it: through the store
      await h.app.ctx.assignmentLog.add({
        memberId: h.a.memberId,
        kind: 'dialog',
        objectId: '4242',
        action: 'assign',
        operatorId: 2,
        reason: { rule: 'evenly', operatorId: 2, skipped: { at_capacity: [], unavailable: [] } },
        at: Date.now(),
      });
      await waitFor(() => a.events.includes('change'), "portal a's page told");
      // b's watch has looked at least twice since (1 s apart) without a change to report
      await new Promise((r) => setTimeout(r, 2500));
      assert.ok(!b.events.includes('change'), b.events.join(','));
    } finally {
      await a.stop();
      await b.stop();
    }
    const hub = h.app.ctx.services.liveHub as LiveHub;
    await waitFor(() => Object.keys(hub.watching()).length === 0, 'no watch left once the pages are gone');
  });

  it('a settings change made elsewhere (another process, the CLI) shows too: the watch reads the store', async () => {
    const a = await listen(`${h.app.url}/api/live`, tokenA);
    try {
      await waitFor(() => a.events.includes('hello'), 'open');
      await new Promise((r) => setTimeout(r, 1200));
      // written straight into the store, as another instance would
      await h.app.ctx.db.run('UPDATE settings SET updated_at = updated_at + 1 WHERE member_id = ?', [
        h.a.memberId,
      ]);
      await h.app.ctx.db.run(
        "INSERT INTO settings (member_id, scope, value, updated_at, updated_by) VALUES (?, 'portal', '{}', ?, 1) ON CONFLICT DO NOTHING",
        [h.a.memberId, Date.now()],
      );
      await waitFor(() => a.events.includes('change'), 'told');
    } finally {
      await a.stop();
    }
  });

  it("an operator's availability read by another process (the CLI's sync) shows too", async () => {
    const a = await listen(`${h.app.url}/api/live`, tokenA);
    try {
      await waitFor(() => a.events.includes('hello'), 'open');
      await new Promise((r) => setTimeout(r, 1200));
      assert.ok(!a.events.includes('change'), a.events.join(','));
      // as the sync of another process stores what it read: a new snapshot version
      await h.app.ctx.db.run(
        `INSERT INTO operator_snapshots (member_id, user_id, info, fetched_at, version)
         VALUES (?, 4242, '{}', ?, 1000000)`,
        [h.a.memberId, Date.now()],
      );
      await waitFor(() => a.events.includes('change'), 'told');
    } finally {
      await a.stop();
    }
  });
});
