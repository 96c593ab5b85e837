import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import qs from 'qs';
import { REST_ALLOWS_CORS } from '../assumptions.ts';
import { QS_OPTIONS } from '../rest/batch.ts';
import type { Params } from '../rest/params.ts';
import { SystemErrors } from '../rest/rest-error.ts';

const MAX_BODY = 20 * 1024 * 1024;

export interface ParsedRequest {
  method: string;
  path: string;
  query: Params;
  body: Params;
  rawBody: string;
  headers: IncomingMessage['headers'];
}

export interface RouteAnswer {
  /** the work is done but the answer is lost: the connection is reset, or left hanging */
  drop?: 'reset' | 'hang';
  status: number;
  headers?: Record<string, string>;
  /** objects are sent as JSON */
  body: unknown;
}

/** What the portal's HTTP front needs from the rest of the emulator. */
export interface Routes {
  rest(method: string, params: Params): Promise<RouteAnswer>;
  oauthToken(params: Params): RouteAnswer;
  oauthAuthorize(params: Params): RouteAnswer;
  frame(req: ParsedRequest): Promise<RouteAnswer | null>;
  index(): RouteAnswer;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** JSON bodies are typed; form bodies go through qs, so `filter[>ID]=5` nests like PHP's. */
export function parseBody(raw: string, contentType: string | undefined): Params {
  if (!raw) return {};
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('application/json')) {
    try {
      const v = JSON.parse(raw);
      return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
    } catch {
      return {};
    }
  }
  if (ct.includes('application/x-www-form-urlencoded') || !ct) {
    const trimmed = raw.trimStart();
    if (!ct && trimmed.startsWith('{')) return parseBody(raw, 'application/json');
    return qs.parse(raw, QS_OPTIONS) as Params;
  }
  return {};
}

function send(res: ServerResponse, answer: RouteAnswer, cors: boolean): void {
  if (answer.drop === 'reset') {
    res.socket?.destroy();
    return;
  }
  // Left hanging: the caller's timeout decides; the emulator's stop() closes every connection.
  if (answer.drop === 'hang') return;
  const headers: Record<string, string> = { ...(answer.headers ?? {}) };
  if (cors && REST_ALLOWS_CORS) headers['Access-Control-Allow-Origin'] = '*';
  let payload: string;
  if (typeof answer.body === 'string') {
    payload = answer.body;
    headers['Content-Type'] ??= 'text/plain; charset=utf-8';
  } else {
    payload = JSON.stringify(answer.body);
    headers['Content-Type'] ??= 'application/json; charset=utf-8';
  }
  res.writeHead(answer.status, headers);
  res.end(payload);
}

/** /rest/<method>, tolerating `//` (the SDK's `clientEndpoint + '/' + method`) and `.json`. */
export function restMethodOf(path: string): { method: string } | { v3: true } | { webhook: true } | null {
  const m = /^\/rest\/+(.*?)\/*$/.exec(path);
  if (!m) return null;
  const rest = m[1];
  if (/^api\//.test(rest)) return { v3: true };
  const parts = rest.split('/').filter(Boolean);
  if (parts.length === 3 && /^\d+$/.test(parts[0])) return { webhook: true };
  if (parts.length !== 1) return null;
  return { method: decodeURIComponent(parts[0]) };
}

export function createPortalServer(routes: Routes): Server {
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const isRest = path.startsWith('/rest');
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
          'Access-Control-Allow-Headers':
            'Content-Type, Accept, Authorization, X-Requested-With, X-Request-Id',
          'Access-Control-Max-Age': '600',
        });
        res.end();
        return;
      }
      const rawBody = req.method === 'GET' || req.method === 'HEAD' ? '' : await readBody(req);
      const parsed: ParsedRequest = {
        method: req.method ?? 'GET',
        path,
        query: qs.parse(url.search.slice(1), QS_OPTIONS) as Params,
        body: parseBody(rawBody, req.headers['content-type']),
        rawBody,
        headers: req.headers,
      };
      if (isRest) {
        const target = restMethodOf(path);
        if (!target || 'v3' in target) {
          send(res, { status: 404, body: SystemErrors.methodNotFound().toBody() }, true);
          return;
        }
        if ('webhook' in target) {
          send(res, { status: 401, body: SystemErrors.noAuth().toBody() }, true);
          return;
        }
        send(res, await routes.rest(target.method, { ...parsed.query, ...parsed.body }), true);
        return;
      }
      if (/^\/oauth\/token\/?$/.test(path)) {
        send(res, routes.oauthToken({ ...parsed.query, ...parsed.body }), false);
        return;
      }
      if (/^\/oauth\/authorize\/?$/.test(path)) {
        send(res, routes.oauthAuthorize(parsed.query), false);
        return;
      }
      const frame = await routes.frame(parsed);
      if (frame) {
        send(res, frame, false);
        return;
      }
      if (path === '/' || path === '') {
        send(res, routes.index(), false);
        return;
      }
      send(res, { status: 404, body: 'Not found' }, false);
    } catch (e) {
      console.error('[emulator] request failed', req.method, path, e);
      if (!res.headersSent) send(res, { status: 500, body: SystemErrors.internal().toBody() }, isRest);
      else res.end();
    }
  });
}
