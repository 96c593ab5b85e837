import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from 'b24-emulator';
import type { Feature } from '../../src/app-context.ts';
import { type Balancer, startBalancer } from './balancer.ts';
import { startTestApp, type TestApp } from './context.ts';
import { dropStore, freshStoreEnv, type StoreEnv } from './store.ts';

export interface Cluster {
  lb: Balancer;
  apps: TestApp[];
  store: StoreEnv;
  close(): Promise<void>;
}

/**
 * `n` instances of the app, each a context of its own (its own store connection, caches and
 * indexes: nothing shared in memory), on one store, behind one load balancer whose URL is
 * every instance's PUBLIC_URL: the portal sees one app.
 */
export async function startCluster(
  n: number,
  o: { emu: Emulator; features: () => Feature[]; seed?: number },
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'b24d-cluster-'));
  const store = freshStoreEnv(dir);
  const upstreams: string[] = [];
  const lb = await startBalancer(upstreams, { seed: o.seed });
  const apps: TestApp[] = [];
  for (let i = 0; i < n; i++) {
    const app = await startTestApp({
      env: { ...store, PUBLIC_URL: lb.url, B24_OAUTH_SERVER: o.emu.url },
      features: o.features(),
      sharedStore: true,
    });
    apps.push(app);
    upstreams.push(app.url);
  }
  return {
    lb,
    apps,
    store,
    async close() {
      await lb.close();
      for (const a of apps) await a.close();
      await dropStore(store);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
