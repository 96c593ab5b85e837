import express, { type Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../app-context.ts';
import { explain, previewNext, type QueueRules } from '../../engine/index.ts';
import { leadSettingsSchema, lineSettingsSchema } from '../../settings/schema.ts';
import type { LiveData } from '../live.ts';
import { sessionOf } from './auth.ts';
import { leadQueue, lineRules, queueIdOf, queueStates } from './queues.ts';
import { fieldErrors, sendInvalid } from './validation.ts';

const requestSchema = z.object({
  /** `line:<id>` or `leads` */
  scope: z.string().regex(/^(line:[1-9]\d{0,9}|leads)$/, 'must be line:<id> or leads'),
  /** the edited, unsaved settings of that scope */
  settings: z.unknown(),
  n: z.number().int().min(1).max(100).default(10),
  /** leads: preview one routing rule's queue instead of the default queue */
  route: z.number().int().min(0).optional(),
});

/**
 * POST /api/what-if: where the next n items would go under the edited settings, computed by
 * the engine on the live operator state. Nothing is stored; any viewer may ask.
 */
export function whatIfRoute(ctx: AppContext, live: LiveData): Router {
  const r = express.Router();
  r.post('/api/what-if', async (req, res) => {
    const s = sessionOf(res);
    const body = requestSchema.safeParse(req.body);
    if (!body.success) {
      sendInvalid(res, fieldErrors(body.error));
      return;
    }
    const { scope, n, route } = body.data;
    let rules: QueueRules;
    let rulesFrom: 'line' | 'app' = 'app';
    let queueId: string;
    let openStatuses: readonly string[] = [];
    const assumed: string[] = [];
    if (scope === 'leads') {
      const p = leadSettingsSchema.safeParse(body.data.settings);
      if (!p.success) {
        sendInvalid(res, fieldErrors(p.error, 'settings'));
        return;
      }
      ({ rules, queueId } = leadQueue(p.data, route));
      openStatuses = p.data.openStatuses;
    } else {
      const p = lineSettingsSchema.safeParse(body.data.settings);
      if (!p.success) {
        sendInvalid(res, fieldErrors(p.error, 'settings'));
        return;
      }
      const lineId = Number(scope.slice('line:'.length));
      const lr = await lineRules(live, s.memberId, lineId, p.data);
      ({ rules, rulesFrom } = lr);
      assumed.push(...lr.assumed);
      queueId = queueIdOf.line(lineId);
    }
    const q = await queueStates(ctx, live, s.memberId, queueId, rules, { openStatuses });
    assumed.push(...q.assumed);
    const now = ctx.clock();
    const nameOf = (id: number) => q.people.get(id)?.name ?? `#${id}`;
    const decisions = previewNext(rules, q.states, n, now, { kind: scope === 'leads' ? 'lead' : 'dialog' });
    const tally = new Map<number, number>();
    let waiting = 0;
    let portalQueue = 0;
    const rows = decisions.map((d, i) => {
      if (d.action === 'assign') tally.set(d.operatorId, (tally.get(d.operatorId) ?? 0) + 1);
      else if (d.action === 'wait') waiting++;
      else if (d.action === 'portal_queue') portalQueue++;
      const operatorId = d.action === 'assign' ? d.operatorId : null;
      return {
        n: i + 1,
        action: d.action,
        operatorId,
        name: operatorId === null ? null : nameOf(operatorId),
        text: explain(d.reason, s.lang, nameOf),
      };
    });
    res.json({
      scope,
      n,
      mode: rules.mode,
      rulesFrom,
      assumed,
      decisions: rows,
      tally: rules.queue.map((m) => ({ operatorId: m.id, name: nameOf(m.id), n: tally.get(m.id) ?? 0 })),
      waiting,
      portalQueue,
    });
  });
  return r;
}
