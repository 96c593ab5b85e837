import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from './context.ts';
import type { StoreEnv } from './store.ts';

/** A free loopback port (the app keeps it across restarts: it is the portal's handler URL). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ChildApp {
  child: ChildProcess;
  url: string;
  /** SIGKILL: no shutdown, whatever is on the wire stays there */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The production entry point (`src/server.ts`, what `npm start` runs) in a child process,
 * configured through the environment like a deployment, so a test can kill it for real.
 */
export async function startChildApp(o: {
  port: number;
  /** the store it uses (test/helpers/store.ts: a SQLite file, or a PostgreSQL schema) */
  store: StoreEnv;
  oauthServer: string;
  env?: Record<string, string>;
}): Promise<ChildApp> {
  const url = `http://127.0.0.1:${o.port}`;
  const { DATABASE_URL: _u, DATABASE_SCHEMA: _s, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...inherited,
      PORT: String(o.port),
      PUBLIC_URL: url,
      ...o.store,
      B24_CLIENT_ID: TEST_CLIENT_ID,
      B24_CLIENT_SECRET: TEST_CLIENT_SECRET,
      B24_OAUTH_SERVER: o.oauthServer,
      B24_ALLOW_HTTP: '1',
      LOG_LEVEL: process.env.CHILD_LOG_LEVEL ?? 'silent',
      ...o.env,
    },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited at start (${child.exitCode})`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the app did not start within 30 s');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
