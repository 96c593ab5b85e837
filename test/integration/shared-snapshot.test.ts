import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { PortalSeed } from 'b24-emulator';
import { runJobCli, storeEnvOf } from '../helpers/cli.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

after(closeAll);

/** Line 1 distributes evenly between 2 and 3; the known client's responsible manager is 4. */
const seed: PortalSeed = {
  ...SEED,
  lines: [
    {
      id: 1,
      name: 'Sales chat',
      queue: [2, 3],
      config: { QUEUE_TYPE: 'evenly', CRM: 'Y', CRM_FORWARD: 'Y' },
    },
  ],
  contacts: [{ id: 1, name: 'Known', assignedById: 4, phone: '+7 900 000-00-01' }],
};

/** `npm run job -- sync` for this portal, as a process of its own beside the running app. */
async function cliSync(p: OlPortal): Promise<void> {
  const r = await runJobCli(['sync', '--portal', p.memberId], {
    ...storeEnvOf(p.app.ctx.config),
    B24_OAUTH_SERVER: p.emu.url,
  });
  assert.equal(r.code, 0, r.stderr || r.stdout);
  assert.equal(JSON.parse(r.stdout).status, 'ok', r.stdout);
}

describe('one store, many processes: what a CLI job reads, the server decides by', () => {
  test("the responsible manager starts a break, `npm run job -- sync` runs beside the server: the server's very next decision for that client passes them over", async () => {
    const p = await olPortal({ seed });
    const first = await p.newDialog(1, 'known', { phone: '+79000000001' });
    await p.settle();
    assert.equal(ownerOf(p, first), 4, "the client's responsible manager, while at work");

    // The server read operator 4's availability a moment ago: its own copy is young.
    p.emu.sim.closeDialog(first);
    p.emu.sim.setUser(4, { timeman: 'PAUSED' });
    await cliSync(p);

    const next = await p.newDialog(1, 'known', { phone: '+79000000001' });
    await p.settle();
    assert.notEqual(ownerOf(p, next), 4, 'operator 4 is on a break: the normal queue');
    assert.ok([2, 3].includes(ownerOf(p, next)));
    const entry = (await p.log(next)).at(-1)!;
    assert.equal(entry.reason.rule, 'evenly');
    assert.equal(entry.reason.responsible.operatorId, 4);
    assert.equal(entry.reason.responsible.passedOver, 'paused');
  });
});
