import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLeadsFeature } from '../../src/crm/feature.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import { leadSettingsSchema } from '../../src/settings/schema.ts';
import { waitFor } from '../helpers/context.ts';
import { startStack } from '../helpers/emulator.ts';
import { SEED } from './openlines-helpers.ts';

test("the lead an open line creates for a new client follows the client's dialog, not the lead queue", async () => {
  const s = await startStack({
    emulator: {
      seed: {
        ...SEED,
        lines: [
          {
            id: 1,
            name: 'Sales chat',
            queue: [2, 3],
            config: { QUEUE_TYPE: 'strictly', CRM: 'Y', CRM_CREATE: 'lead' },
          },
        ],
      },
    },
    app: { features: [createOpenLinesFeature(), createLeadsFeature()] },
  });
  try {
    // The lead queue would give a new lead to Daria (5), who is not in the line's queue.
    await s.app.ctx.settings.write(
      s.emu.memberId,
      'leads',
      leadSettingsSchema,
      { rules: { queue: [{ id: 5 }] } },
      null,
    );
    const { chatId } = s.emu.sim.clientWrites({ lineId: 1, clientKey: 'new-client', text: 'Hello' });
    const leadId = await waitFor(() => s.emu.state.chats.get(chatId)?.crm.LEAD, 'the line created a lead');
    await waitFor(
      async () => (await s.app.ctx.assignmentLog.recent(s.emu.memberId, { kind: 'lead' })).length > 0,
      'lead decided',
    );
    await s.emu.idle();

    const dialogOwner = s.emu.state.chats.get(chatId)?.ownerId;
    assert.equal(dialogOwner, 2, 'the dialog went to the first operator of the line');
    const [entry] = await s.app.ctx.assignmentLog.recent(s.emu.memberId, {
      kind: 'lead',
      objectId: String(leadId),
    });
    assert.equal(entry.action, 'skip');
    assert.equal(entry.reason.detail, 'from_assigned_dialog');
    assert.equal(entry.reason.dialogOperatorId, 2);
    assert.equal(
      s.emu.state.crm.leads.get(Number(leadId))?.assignedById,
      2,
      "the lead is with the dialog's operator",
    );
    assert.equal(
      [...s.emu.state.crm.comments.values()].filter((c: any) => Number(c.entityId) === Number(leadId)).length,
      0,
      'no lead-queue comment was written',
    );
  } finally {
    await s.close();
  }
});
