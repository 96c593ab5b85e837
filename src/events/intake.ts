import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { InstallationCache } from '../portal/installation-cache.ts';
import { type ApplicationTokens, CHALLENGE_PARAM } from '../portal/application-token.ts';
import type { InstallService } from '../portal/install-service.ts';
import { BodyError } from './form-decode.ts';
import type { InboxWriter } from './inbox-writer.ts';
import { authSchema } from './lifecycle.ts';
import { readEventBody } from './read-body.ts';
import { defaultDedupKey, type EventRouter } from './router.ts';
import { applicationTokenMatches } from './verify.ts';

export interface IntakeDeps {
  installations: InstallationCache;
  router: EventRouter;
  writer: InboxWriter;
  install: InstallService;
  tokens: Pick<ApplicationTokens, 'confirm'>;
  log: Logger;
  clock?: () => number;
  /** told after each new row, so a worker starts at once instead of at its next poll */
  onAccepted?: () => void;
  /** the largest body taken, in bytes (256 KiB) */
  maxBodyBytes?: number;
}

const envelopeSchema = z.object({
  event: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_.]+$/, 'must be an event name'),
  auth: authSchema,
});

interface Answer {
  status: number;
  body: Record<string, string>;
}

const UNAUTHORIZED: Answer = {
  status: 401,
  body: { error: 'unauthorized', error_description: 'unknown portal or wrong application token' },
};

/**
 * POST /events, answered on node's own request and response objects: this is the one route
 * the portal calls at volume, and express's per-request setup (with the young-generation
 * garbage it leaves) was a large share of its cost (README, "Event intake").
 *
 * Checks run cheapest first, each with its own status, and none of them changes state or
 * calls a portal until the event is known to be genuine: malformed → 400, unknown portal or
 * wrong application token → 401, oversized → 413, another content type → 415. A genuine
 * event is answered 200 only after its inbox row is committed.
 */
export function intakeHandler(d: IntakeDeps): RequestListener {
  const clock = d.clock ?? Date.now;
  const maxBytes = d.maxBodyBytes ?? 256 * 1024;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = clock();
    let body: unknown;
    try {
      body = await readEventBody(req, maxBytes);
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      const error = err.status === 413 ? 'payload_too_large' : 'invalid_request';
      // a body left unread (413) is not worth draining: the connection goes
      send(res, { status: err.status, body: { error, error_description: err.message } }, err.status === 413);
      return;
    }
    send(res, await accept(body, receivedAt));
  }

  async function accept(raw: unknown, receivedAt: number): Promise<Answer> {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length === 0) {
      return {
        status: 400,
        body: { error: 'invalid_request', error_description: 'expected a non-empty event body' },
      };
    }
    const env = envelopeSchema.safeParse(raw);
    if (!env.success) {
      return { status: 400, body: { error: 'invalid_event', error_description: describeIssues(env.error) } };
    }
    const event = env.data.event.toUpperCase();
    const memberId = env.data.auth.member_id;

    if (event === 'ONAPPINSTALL') {
      try {
        const outcome = await d.install.fromEvent({ ...(raw as object), event, auth: env.data.auth });
        return { status: 200, body: { status: outcome } };
      } catch (err) {
        const status =
          err instanceof AppError && err.httpStatus < 500 ? (err.httpStatus === 403 ? 403 : 401) : 502;
        d.log.warn({ memberId, err: (err as Error).message }, 'ONAPPINSTALL refused');
        return { status, body: { error: 'install_not_verified', error_description: (err as Error).message } };
      }
    }

    if (event === 'ONAPPUPDATE') {
      try {
        await d.install.fromUpdate(env.data.auth);
        return { status: 200, body: { status: 'accepted' } };
      } catch (err) {
        const status = err instanceof AppError && err.httpStatus < 500 ? err.httpStatus : 502;
        d.log.warn({ memberId, err: (err as Error).message }, 'ONAPPUPDATE refused');
        return { status, body: { error: 'update_not_verified', error_description: (err as Error).message } };
      }
    }

    if (event === 'ONAPPTEST') {
      // The answer to the app's own event.test: proven by the challenge it echoes, and the
      // one place a new application token can come from (application-token.ts).
      const query = (raw as { data?: { QUERY?: Record<string, unknown> } }).data?.QUERY;
      const confirmed = await d.tokens.confirm(
        memberId,
        query?.[CHALLENGE_PARAM],
        env.data.auth.application_token,
      );
      if (confirmed) return { status: 200, body: { status: 'confirmed' } };
      d.log.warn({ memberId }, 'ONAPPTEST refused: not an answer to a live challenge');
      return UNAUTHORIZED;
    }

    const inst = await d.installations.find(memberId);
    if (
      inst?.status !== 'active' ||
      !applicationTokenMatches(env.data.auth.application_token, inst.applicationToken)
    ) {
      d.log.warn({ memberId, event }, 'event refused: unknown portal or wrong application token');
      return UNAUTHORIZED;
    }

    const def = d.router.get(event);
    // Verified, but not an event this app handles: take nothing, say so.
    if (!def) return { status: 200, body: { status: 'ignored' } };
    const parsed = def.schema.safeParse(raw);
    if (!parsed.success) {
      return {
        status: 400,
        body: { error: 'invalid_event', error_description: describeIssues(parsed.error) },
      };
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
      return { status: 200, body: { status: fresh ? 'accepted' : 'duplicate' } };
    } catch (err) {
      // Not stored, so not accepted: a 5xx tells the truth (the portal will not retry).
      d.log.error({ memberId, event, err }, 'event could not be stored');
      return {
        status: 503,
        body: { error: 'unavailable', error_description: 'the event could not be stored' },
      };
    }
  }

  return (req, res) => {
    handle(req, res).catch((err) => {
      d.log.error({ err }, 'event intake failed');
      if (!res.headersSent) {
        send(res, { status: 500, body: { error: 'internal_error', error_description: 'internal error' } });
      }
    });
  };
}

/** Is this request the event intake's? (Express matched paths case-insensitively, with or without a trailing slash.) */
export function isIntakeRequest(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || !req.url) return false;
  const q = req.url.indexOf('?');
  const path = (q < 0 ? req.url : req.url.slice(0, q)).toLowerCase();
  return path === '/events' || path === '/events/';
}

function send(res: ServerResponse, a: Answer, close = false): void {
  const text = JSON.stringify(a.body);
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  };
  if (close) headers.Connection = 'close';
  res.writeHead(a.status, headers);
  res.end(text);
}

/**
 * Tokens in events belong to whoever triggered them; the app never uses or stores them. What
 * their presence says is kept as `acting_user: 'Y'`: a person's action brings their tokens, an
 * automation's (a robot, a workflow, an agent) none (events/index.md) — the one-owner policy
 * follows a person's change of a lead differently from a robot's.
 * Copies only the objects it changes (the parsed body is not used again, but stays intact).
 */
export function stripTokens(body: any): any {
  const copy = { ...body };
  if (copy.auth) {
    const person = typeof copy.auth.access_token === 'string' && copy.auth.access_token !== '';
    copy.auth = {
      member_id: copy.auth.member_id,
      domain: copy.auth.domain,
      ...(person ? { acting_user: 'Y' } : {}),
    };
  }
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
