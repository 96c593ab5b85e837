import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ParamsFactory } from '@bitrix24/b24jssdk';
import request from 'supertest';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import { withRestClass } from '../../src/portal/rest-priority.ts';
import { createWebFeature } from '../../src/web/feature.ts';
import { waitFor } from '../helpers/context.ts';
import { closeAll, olPortal } from './openlines-helpers.ts';

afterEach(closeAll);

describe('REST budget with priorities, against the portal limit (2 req/s, burst 50)', () => {
  test('background load saturating the budget: the viewer check still answers, nothing is refused for rate', async () => {
    const p = await olPortal({
      features: [createOpenLinesFeature(), createWebFeature()],
      restrictions: ParamsFactory.getDefault(),
    });
    p.emu.setRateLimit({ drainPerSec: 2, burst: 50 });
    p.emu.resetCalls();
    const client = await p.app.ctx.clients.get(p.memberId);
    const before = p.emu.httpRequests;
    // A job that wants far more than the portal gives: 80 reads at once.
    const background = Array.from({ length: 80 }, () =>
      withRestClass('background', () => client.call('user.get', { ID: 2 })).catch(() => undefined),
    );
    await waitFor(() => p.emu.httpRequests - before >= 30, 'background used what it may', 30_000);

    const form = {
      AUTH_ID: p.emu.issueUserToken(1),
      AUTH_EXPIRES: '3600',
      REFRESH_ID: 'refresh-not-used',
      member_id: p.memberId,
      status: 'F',
      PLACEMENT: 'DEFAULT',
      PLACEMENT_OPTIONS: '{}',
    };
    const page = await request(p.app.ctx.app).post('/app?LANG=en').type('form').send(form);
    assert.equal(page.status, 200, page.text.slice(0, 300));
    assert.ok(
      !p.emu.calls.some((c) => c.error === 'QUERY_LIMIT_EXCEEDED'),
      'the portal refused nothing for rate: the app left the viewer its share',
    );
    const report = p.app.ctx.clients.budgets!.peek(p.memberId)!.report();
    assert.equal(report.backgroundSlowed, true, 'and says background is slowed down');
    assert.ok(report.byClass.viewer.sent >= 1);
    assert.ok(background.length === 80);
  });
});
