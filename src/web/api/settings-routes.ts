import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../../app-context.ts';
import { SettingsRepository } from '../../db/repositories/settings.ts';
import { rulesFromLine } from '../../engine/index.ts';
import { handoverSettingsSchema } from '../../settings/absences.ts';
import { dealSettingsSchema } from '../../settings/deals.ts';
import { ownerSettingsSchema } from '../../settings/owner.ts';
import {
  leadSettingsSchema,
  lineSettingsSchema,
  operatorsSettingsSchema,
  portalSettingsSchema,
  SETTINGS_SCOPES,
} from '../../settings/schema.ts';
import type { LiveData } from '../live.ts';
import { requireAdmin, sessionOf } from './auth.ts';
import { diffPaths, fieldErrors, sendInvalid } from './validation.ts';

const lineIdSchema = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 31);

/** Where a scope lives and how it is checked; the same schemas the store and the engine use. */
interface ScopeDef {
  schema: z.ZodType;
  scope(req: Request): string;
}

const SCOPES: Record<'leads' | 'deals' | 'owner' | 'handover' | 'operators' | 'portal', ScopeDef> = {
  leads: { schema: leadSettingsSchema, scope: () => SETTINGS_SCOPES.leads },
  deals: { schema: dealSettingsSchema, scope: () => SETTINGS_SCOPES.deals },
  owner: { schema: ownerSettingsSchema, scope: () => SETTINGS_SCOPES.owner },
  handover: { schema: handoverSettingsSchema, scope: () => SETTINGS_SCOPES.handover },
  operators: { schema: operatorsSettingsSchema, scope: () => SETTINGS_SCOPES.operators },
  portal: { schema: portalSettingsSchema, scope: () => SETTINGS_SCOPES.portal },
};

export function settingsRoutes(ctx: AppContext, live: LiveData): Router {
  const r = express.Router();
  const repo = new SettingsRepository(ctx.db);

  const read = async (memberId: string, scope: string, schema: z.ZodType) => {
    const stored = await repo.get(memberId, scope);
    const parsed = schema.safeParse(stored?.value ?? {});
    const by = stored?.updatedBy ?? null;
    return {
      value: parsed.success ? parsed.data : schema.parse({}),
      stored: stored !== undefined,
      updatedAt: stored?.updatedAt ?? null,
      updatedBy: by,
      updatedByName: by ? ((await live.people(memberId, [by])).get(by)?.name ?? null) : null,
    };
  };

  const write = async (req: Request, res: Response, scope: string, schema: z.ZodType) => {
    const s = sessionOf(res);
    const checked = schema.safeParse(req.body);
    if (!checked.success) {
      sendInvalid(res, fieldErrors(checked.error));
      return undefined;
    }
    const before = await read(s.memberId, scope, schema);
    const saved = await ctx.settings.write(s.memberId, scope, schema, req.body, s.userId);
    // Who changed what, leaf by leaf; settings hold no secrets, so values are logged as they are.
    ctx.log.info(
      { memberId: s.memberId, userId: s.userId, scope, changes: diffPaths(before.value, saved) },
      'settings changed',
    );
    return saved;
  };

  const lineId = (req: Request, res: Response): number | undefined => {
    const p = lineIdSchema.safeParse(req.params.lineId);
    if (!p.success) {
      sendInvalid(res, fieldErrors(p.error, 'lineId'));
      return undefined;
    }
    return p.data;
  };

  r.get('/api/settings/lines/:lineId', async (req, res) => {
    const id = lineId(req, res);
    if (id === undefined) return;
    const { memberId } = sessionOf(res);
    const current = await read(memberId, SETTINGS_SCOPES.line(id), lineSettingsSchema);
    const config = await live.lineConfig(memberId, id);
    res.json({
      lineId: id,
      ...current,
      // What "use the line's own settings" means for this line right now.
      lineRules: config ? rulesFromLine(config, (current.value as any).rules) : null,
    });
  });

  r.put('/api/settings/lines/:lineId', requireAdmin, async (req, res) => {
    const id = lineId(req, res);
    if (id === undefined) return;
    const saved = await write(req, res, SETTINGS_SCOPES.line(id), lineSettingsSchema);
    if (saved !== undefined) res.json({ lineId: id, value: saved });
  });

  for (const [name, def] of Object.entries(SCOPES)) {
    r.get(`/api/settings/${name}`, async (req, res) => {
      res.json(await read(sessionOf(res).memberId, def.scope(req), def.schema));
    });
    r.put(`/api/settings/${name}`, requireAdmin, async (req, res) => {
      const saved = await write(req, res, def.scope(req), def.schema);
      if (saved === undefined) return;
      if (name === 'portal') {
        // The REST client's token bucket follows the plan: rebuild it with the new limits.
        const { memberId } = sessionOf(res);
        await ctx.store.setRatePlan(memberId, (saved as z.output<typeof portalSettingsSchema>).ratePlan);
        ctx.clients.forget(memberId);
      }
      res.json({ value: saved });
    });
  }
  return r;
}
