import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Balancer {
  url: string;
  /** how many requests each upstream answered, by its URL */
  served: Map<string, number>;
  /** event names each upstream answered (POST /events only) */
  events: Map<string, string[]>;
  close(): Promise<void>;
}

/**
 * A load balancer in front of several app instances, as nginx or a cloud balancer would be:
 * each request goes to an upstream picked by `pick` (random by default, from a seeded
 * sequence so a run can be repeated); an upstream that refuses the connection (a dead
 * instance) is skipped and the next one tried, as nginx's `proxy_next_upstream error` does.
 * Only a request no upstream took is answered 502.
 */
export async function startBalancer(
  upstreams: string[],
  o: { seed?: number; pick?: (n: number, i: number) => number } = {},
): Promise<Balancer> {
  let seed = o.seed ?? 1;
  const random = () => {
    // mulberry32: a small seeded generator, so the spread is the same on every run
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let count = 0;
  const pick = o.pick ?? ((n: number) => Math.floor(random() * n));
  const served = new Map<string, number>();
  const events = new Map<string, string[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const first = pick(upstreams.length, count++);
      const tryUpstream = (k: number) => {
        if (k >= upstreams.length) {
          res.writeHead(502).end('no upstream took the request');
          return;
        }
        const base = upstreams[(first + k) % upstreams.length]!;
        const target = new URL(req.url ?? '/', base);
        const up = request(
          target,
          { method: req.method, headers: { ...req.headers, host: target.host } },
          (answer) => {
            served.set(base, (served.get(base) ?? 0) + 1);
            if (req.method === 'POST' && target.pathname.startsWith('/events')) {
              const name = /(?:^|&)event=([^&]*)/.exec(body.toString('utf8'))?.[1] ?? '?';
              events.set(base, [...(events.get(base) ?? []), decodeURIComponent(name)]);
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        // Refused before anything was sent: the instance is down, the next one gets it.
        up.on('error', (err: NodeJS.ErrnoException) => {
          if (res.headersSent) res.destroy();
          else if (err.code === 'ECONNREFUSED') tryUpstream(k + 1);
          else res.writeHead(502).end(String(err.message));
        });
        up.end(body);
      };
      tryUpstream(0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    served,
    events,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
