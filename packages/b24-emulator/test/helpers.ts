import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';
import { type Emulator, type EmulatorOptions, startEmulator } from '../src/index.ts';

export const APP = { clientId: 'local.test.app', clientSecret: 'test-secret' };

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, any>;
}

/** A stand-in for the app: records every request, answers `status` (default 200). */
export interface FakeApp {
  url: string;
  received: Received[];
  status: number;
  /** while set, answers wait for this promise (a slow handler) */
  gate: Promise<void> | null;
  stop(): Promise<void>;
}

export async function startFakeApp(): Promise<FakeApp> {
  const received: Received[] = [];
  const app: FakeApp = { url: '', received, status: 200, gate: null, stop: async () => {} };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      received.push({
        method: req.method ?? '',
        path: url.pathname,
        headers: req.headers,
        raw,
        body: qs.parse(raw, { depth: 20 }),
      });
      if (app.gate) await app.gate;
      res.writeHead(app.status, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  app.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app.stop = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return app;
}

export interface Harness {
  emu: Emulator;
  app: FakeApp;
  /** admin token from the install */
  token: string;
  call(
    method: string,
    params?: Record<string, unknown>,
    token?: string,
  ): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function callRest(
  emu: Emulator,
  method: string,
  params: Record<string, unknown>,
  token: string,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${emu.url}/rest/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...params, auth: token }),
  });
  return { status: res.status, body: await res.json() };
}

/** An emulator with the app installed (installer POST played), optionally finished. */
export async function startHarness(
  opts: Partial<EmulatorOptions> & { finish?: boolean } = {},
): Promise<Harness> {
  const app = await startFakeApp();
  const emu = await startEmulator({ app: APP, timerIntervalMs: 0, rateLimit: false, ...opts });
  await emu.install({ appBaseUrl: app.url });
  if (opts.finish !== false) emu.finishInstall();
  const token = emu.issueUserToken(1);
  return {
    emu,
    app,
    token,
    call: (method, params = {}, t = token) => callRest(emu, method, params, t),
    stop: async () => {
      await emu.stop();
      await app.stop();
    },
  };
}

/** A clock tests move by hand. */
export function manualClock(start = Date.UTC(2025, 2, 3, 9, 0, 0)) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}
