import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { InstallationCache } from '../portal/installation-cache.ts';
import type { InstallService } from '../portal/install-service.ts';
import type { InboxWriter } from './inbox-writer.ts';
import { authSchema } from './lifecycle.ts';
import { defaultDedupKey, type EventRouter } from './router.ts';
import { applicationTokenMatches } from './verify.ts';

export interface IntakeDeps {
  installations: InstallationCache;
  router: EventRouter;
  writer: InboxWriter;
  install: InstallService;
  log: Logger;
  clock?: () => number;
  /** told after each new row, so a worker starts at once instead of at its next poll */
  onAccepted?: () => void;
  maxBodyBytes?: string;
}

const envelopeSchema = z.object({
  event: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_.]+$/, 'must be an event name'),
  auth: authSchema,
});

/**
 * POST /events. Checks run cheapest first, each with its own status, and none of them
 * changes state or calls a portal until the event is known to be genuine: malformed → 400,
 * unknown portal or wrong application token → 401, oversized → 413 (body parser). A
 * genuine event is answered 200 only after its inbox row is committed.
 */
export function intakeRouter(d: IntakeDeps): Router {
  const clock = d.clock ?? Date.now;
  const r = express.Router();
  const limit = d.maxBodyBytes ?? '256kb';
  r.post(
    '/events',
    express.urlencoded({ extended: true, limit, parameterLimit: 10_000 }),
    express.json({ limit }),
    async (req: Request, res: Response) => {
      const receivedAt = clock();
      if (!req.body || typeof req.body !== 'object' || Object.keys(req.body).length === 0) {
        res.status(req.is(['urlencoded', 'json']) ? 400 : 415).json({
          error: 'invalid_request',
          error_description: 'expected an application/x-www-form-urlencoded or JSON event body',
        });
        return;
      }
      const env = envelopeSchema.safeParse(req.body);
      if (!env.success) {
        res.status(400).json({ error: 'invalid_event', error_description: describeIssues(env.error) });
        return;
      }
      const event = env.data.event.toUpperCase();
      const memberId = env.data.auth.member_id;

      if (event === 'ONAPPINSTALL') {
        try {
          const outcome = await d.install.fromEvent({ ...req.body, event, auth: env.data.auth });
          res.status(200).json({ status: outcome });
        } catch (err) {
          const status = err instanceof AppError && err.httpStatus < 500 ? 401 : 502;
          d.log.warn({ memberId, err: (err as Error).message }, 'ONAPPINSTALL refused');
          res
            .status(status)
            .json({ error: 'install_not_verified', error_description: (err as Error).message });
        }
        return;
      }

      const inst = await d.installations.find(memberId);
      if (
        inst?.status !== 'active' ||
        !applicationTokenMatches(env.data.auth.application_token, inst.applicationToken)
      ) {
        d.log.warn({ memberId, event }, 'event refused: unknown portal or wrong application token');
        res
          .status(401)
          .json({ error: 'unauthorized', error_description: 'unknown portal or wrong application token' });
        return;
      }

      const def = d.router.get(event);
      if (!def) {
        // Verified, but not an event this app handles: take nothing, say so.
        res.status(200).json({ status: 'ignored' });
        return;
      }
      const parsed = def.schema.safeParse(req.body);
      if (!parsed.success) {
        res.status(400).json({ error: 'invalid_event', error_description: describeIssues(parsed.error) });
        return;
      }
      const body = { ...(parsed.data as object), event } as any;
      try {
        const fresh = await d.writer.enqueue({
          memberId,
          dedupKey: def.dedupKey ? def.dedupKey(body) : defaultDedupKey(memberId, body),
          event,
          objectKey: def.objectKey(body),
          source: 'online',
          payload: stripTokens(body),
          receivedAt,
        });
        if (fresh) d.onAccepted?.();
        res.status(200).json({ status: fresh ? 'accepted' : 'duplicate' });
      } catch (err) {
        // Not stored, so not accepted: a 5xx tells the truth (the portal will not retry).
        d.log.error({ memberId, event, err }, 'event could not be stored');
        res.status(503).json({ error: 'unavailable', error_description: 'the event could not be stored' });
      }
    },
  );
  return r;
}

/**
 * Tokens in events belong to whoever triggered them; the app never uses or stores them.
 * Copies only the objects it changes (the parsed body is not used again, but stays intact).
 */
export function stripTokens(body: any): any {
  const copy = { ...body };
  if (copy.auth) copy.auth = { member_id: copy.auth.member_id, domain: copy.auth.domain };
  const data = copy.data;
  if (data && typeof data === 'object') {
    if (data.BOT && typeof data.BOT === 'object') {
      const bots: Record<string, unknown> = {};
      for (const k of Object.keys(data.BOT)) {
        const b = data.BOT[k];
        bots[k] = { BOT_ID: b?.BOT_ID, BOT_CODE: b?.BOT_CODE };
      }
      copy.data = { ...data, BOT: bots };
    }
    if (data.bot && typeof data.bot === 'object' && 'auth' in data.bot) {
      const { auth: _dropped, ...bot } = data.bot;
      copy.data = { ...copy.data, bot };
    }
  }
  return copy;
}

export function describeIssues(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`)
    .join('; ');
}
