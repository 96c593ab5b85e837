import express, { type Router } from 'express';
import type { LiveHub } from '../live-hub.ts';
import { sessionOf } from './auth.ts';

/** How often a quiet stream says it is still there (the page reconnects after 45 s of silence). */
const PING_MS = 15_000;

/**
 * GET /api/live: server-sent events for the viewer's portal. `hello` at once, `change` whenever
 * something the dashboard shows changed (the page reads it again), a comment every 15 s. The
 * stream ends when the page's token does: the page's reconnect then learns the session ended.
 * Mounted under /api, so it is authorised and scoped exactly as every other /api route.
 */
export function liveRoute(hub: LiveHub, clock: () => number, o: { pingMs?: number } = {}): Router {
  const r = express.Router();
  r.get('/api/live', (req, res) => {
    const s = sessionOf(res);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    const send = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.write('retry: 2000\n\n');
    send('hello', { at: clock() });
    const off = hub.subscribe(s.memberId, (at) => send('change', { at }));
    const ping = setInterval(() => res.write(': ping\n\n'), o.pingMs ?? PING_MS);
    const expire = setTimeout(() => res.end(), Math.max(0, s.exp - clock()));
    const untrack = hub.track(() => res.end());
    const done = () => {
      off();
      untrack();
      clearInterval(ping);
      clearTimeout(expire);
    };
    res.on('close', done);
    req.on('close', done);
  });
  return r;
}
