import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { type AppContext, type ContextOptions, createContext } from '../../src/context.ts';
import { createMemoryLogger } from '../../src/log/logger.ts';
import { dropStore, freshStoreEnv } from './store.ts';

export const TEST_CLIENT_ID = 'local.test-app';
export const TEST_CLIENT_SECRET = 'test-secret-never-logged';

/** The test rate limits: wide enough that no test waits on the bucket. */
export const FAST_RESTRICTIONS = {
  rateLimit: { burstLimit: 1e6, drainRate: 1e6, adaptiveEnabled: false },
  operatingLimit: { windowMs: 600000, limitMs: 480000, heavyPercent: 80 },
  adaptiveConfig: { enabled: false, thresholdPercent: 100, coefficient: 0, maxDelay: 0 },
  maxRetries: 3,
  retryDelay: 10,
  retryOnNetworkError: true,
};

export function testConfig(env: Record<string, string> = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'b24d-'));
  return loadConfig({
    B24_CLIENT_ID: TEST_CLIENT_ID,
    B24_CLIENT_SECRET: TEST_CLIENT_SECRET,
    ...freshStoreEnv(dir),
    B24_ALLOW_HTTP: '1',
    LOG_LEVEL: 'trace',
    ...env,
  });
}

export interface TestApp {
  ctx: AppContext;
  url: string;
  lines: string[];
  close(): Promise<void>;
}

/**
 * The real app on an ephemeral loopback port, with a fresh database and a logger that keeps
 * every line (tests assert that no secret is ever logged).
 */
export async function startTestApp(
  o: {
    env?: Record<string, string>;
    start?: boolean;
    /** the store belongs to the caller (several instances share it): close() leaves it */
    sharedStore?: boolean;
  } & Partial<Omit<ContextOptions, 'config'>> = {},
): Promise<TestApp> {
  const { logger, lines } = createMemoryLogger('trace');
  let url = '';
  // PUBLIC_URL must name the port we get; listen first, then build the context with it.
  const { createServer } = await import('node:http');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  const config = testConfig({ PUBLIC_URL: url, PORT: String(port), ...o.env });
  const { env: _env, start: _start, sharedStore: _shared, ...options } = o;
  const ctx = await createContext({
    restrictions: FAST_RESTRICTIONS,
    worker: { backoffMs: 20, maxBackoffMs: 200, leaseMs: 2000 },
    scheduleJobs: false,
    ...options,
    config,
    log: o.log ?? logger,
  });
  server.on('request', ctx.app);
  if (o.start !== false) await ctx.start();
  return {
    ctx,
    url,
    lines,
    async close() {
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
      await ctx.stop();
      if (o.sharedStore) return;
      rmSync(config.databasePath.replace(/app\.sqlite$/, ''), { recursive: true, force: true });
      await dropStore({ DATABASE_URL: config.databaseUrl, DATABASE_SCHEMA: config.databaseSchema });
    },
  };
}

/** Encodes an object the way PHP/Bitrix24 does: bracketed keys, every value a string. */
export function formEncode(obj: unknown, prefix = ''): string {
  const parts: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, key ? `${key}[${k}]` : k);
    } else {
      parts.push(
        `${encodeURIComponent(key)}=${encodeURIComponent(v === null || v === undefined ? '' : String(v))}`,
      );
    }
  };
  walk(obj, prefix);
  return parts.join('&');
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  what = 'condition',
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
