import type { PortalSeed } from 'b24-emulator';
import type { LeadsServices } from '../src/crm/feature.ts';
import type { WatchRow } from '../src/db/repositories/first-touch.ts';
import { runnerFor } from '../src/jobs/feature.ts';
import { leadSettingsSchema } from '../src/settings/schema.ts';
import { startStack } from '../test/helpers/emulator.ts';
import type { BenchModule, BenchRow } from './harness.ts';
import { round } from './harness.ts';

const MIN = 60_000;
const OPERATORS = 20;

/**
 * Speed to lead (issue 18): REST requests of one pass-on run with 1,000 open leads under a
 * first-touch watch. The read is batched: three commands per 50 leads (crm.item.list by id,
 * two pages of crm.activity.list), so one batch request of 50 commands covers 800 leads.
 * Target: ≤ 1 batch request per 50 leads. Writes (notifications for the misses) are counted
 * apart: 50 per batch request.
 */
const bench: BenchModule = {
  title: 'Speed to lead: REST requests of one pass-on run, 1,000 leads under watch',
  async run({ quick }) {
    const n = quick ? 200 : 1000;
    const users: NonNullable<PortalSeed['users']> = [{ id: 1, name: 'Anna', lastName: 'Admin', admin: true }];
    for (let i = 0; i < OPERATORS; i++) users.push({ id: 10 + i, name: `Op${i}`, lastName: 'Sales' });
    const leads = Array.from({ length: n }, (_, i) => ({
      id: 5000 + i,
      title: `Lead ${i}`,
      assignedById: 10 + (i % OPERATORS),
    }));
    const s = await startStack({
      emulator: {
        seed: { departments: [{ id: 1, name: 'Co', parent: null, headId: 1 }], users, leads },
        language: 'en',
      },
    });
    const rows: BenchRow[] = [];
    try {
      const m = s.emu.memberId;
      await s.app.ctx.settings.write(
        m,
        'leads',
        leadSettingsSchema,
        {
          rules: { queue: users.slice(1).map((u) => ({ id: u.id })) },
          firstTouch: { enabled: true, minutes: 15, onBreach: 'notify' },
        },
        null,
      );
      const repo = (s.app.ctx.services.leads as LeadsServices).firstTouchRepository;
      const now = Date.now();
      const watches: WatchRow[] = leads.map((l) => ({
        memberId: m,
        kind: 'lead',
        objectId: String(l.id),
        queueId: 'leads:default',
        holderId: l.assignedById,
        holders: [l.assignedById],
        statusId: 'NEW',
        arrivedAt: now - 31 * MIN,
        assignedAt: now - 30 * MIN,
        deadlineAt: now + 60 * MIN,
        breaches: 0,
        state: 'watching',
        touchedAt: null,
        touchedBy: null,
        touch: null,
      }));
      await repo.start(watches, now);
      // Every lead has a client's incoming call (not contact); 70 % got a call back from their
      // holder, 10 % a stage change by them; 20 % nothing: missed.
      leads.forEach((l, i) => {
        s.emu.sim.addActivity({ ownerId: l.id, authorId: l.assignedById, direction: 1 });
        if (i % 10 < 7) s.emu.sim.addActivity({ ownerId: l.id, authorId: l.assignedById });
        else if (i % 10 === 7) s.emu.sim.updateLead(l.id, { stageId: 'IN_PROCESS' }, l.assignedById);
      });
      const run = async (at: number) => {
        s.emu.resetCalls();
        const t0 = performance.now();
        const r = await runnerFor(s.app.ctx).run('pass-on', { portal: m, now: at });
        const ms = performance.now() - t0;
        const batches = s.emu.calls.filter((c) => c.method === 'batch' && !c.viaBatch);
        const reads = batches.filter((b) => JSON.stringify(b.params).includes('crm.activity.list')).length;
        const notify = batches.filter((b) =>
          JSON.stringify(b.params).includes('im.notify.system.add'),
        ).length;
        return { r: r.portals[m] as Record<string, number>, requests: s.emu.httpRequests, reads, notify, ms };
      };

      const idle = await run(now);
      rows.push({
        case: `${n} leads under watch, none due`,
        figures: { requests: idle.requests, 'run ms': round(idle.ms, 1) },
        target: 'no request',
        met: idle.requests === 0,
      });

      await s.app.ctx.db.run('UPDATE first_touch_watch SET deadline_at = ? WHERE member_id = ?', [
        now - 15 * MIN,
        m,
      ]);
      const due = await run(now);
      const perFifty = due.reads / (n / 50);
      rows.push({
        case: `${n} leads due at once (70 % called back, 10 % stage changed, 20 % missed)`,
        figures: {
          'read batch requests': due.reads,
          'read requests per 50 leads': round(perFifty, 3),
          'read requests per lead': round(due.reads / n, 4),
          'notification batch requests': due.notify,
          'all requests': due.requests,
          touched: due.r.firstTouch_touched,
          missed: due.r.firstTouch_breaches,
          'run ms': round(due.ms, 1),
          'naive (one crm.activity.list per lead)': n,
        },
        target: '≤ 1 batch request per 50 leads',
        met: perFifty <= 1 && due.r.firstTouch_touched === n * 0.8 && due.r.firstTouch_breaches === n * 0.2,
      });

      const again = await run(now);
      rows.push({
        case: 'the same run again at the same instant',
        figures: { requests: again.requests, missed: again.r.firstTouch_breaches ?? 0 },
        target: 'nothing to do',
        met: again.requests === 0 && (again.r.firstTouch_breaches ?? 0) === 0,
      });
    } finally {
      await s.close();
    }
    return rows;
  },
};

export default bench;
