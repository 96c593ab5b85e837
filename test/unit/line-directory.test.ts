import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OpenLinesRepository } from '../../src/db/repositories/openlines.ts';
import { createLogger } from '../../src/log/logger.ts';
import { manifest } from '../../src/manifest.ts';
import { LineDirectory } from '../../src/openlines/lines.ts';
import type { OperatorDirectory } from '../../src/operators/index.ts';
import type { BatchResult, PortalClient } from '../../src/portal/client.ts';

describe('line directory', () => {
  test("a line read from the portal is returned even when another process's line sync replaced the cache meanwhile", async () => {
    const saved: unknown[] = [];
    const repo = {
      line: async () => undefined,
      lines: async () => [],
      saveLines: async (lines: unknown[]) => {
        saved.push(...lines);
      },
    } as unknown as OpenLinesRepository;
    const lines = new LineDirectory({
      repo,
      directory: {} as OperatorDirectory,
      manifest,
      clock: () => 1_000,
      log: createLogger('silent'),
    });
    const client = {
      batch: async (): Promise<BatchResult> => {
        // While the portal answers, another instance's sync moves the store's lines counter and
        // this process forgets its cached lines (openlines/feature.ts) — the race seen right
        // after an install on three instances, which handed a new dialog to the portal's queue.
        lines.forget('m1');
        return {
          results: { c1: { ID: '1', QUEUE: ['2', '3'], QUEUE_TYPE: 'evenly', WELCOME_BOT_ID: '7' }, q1: [] },
          errors: {},
        };
      },
    } as unknown as PortalClient;
    const line = await lines.get('m1', 1, client);
    assert.equal(line?.lineId, 1);
    assert.deepEqual(line?.queue, [2, 3]);
    assert.equal(saved.length, 1);
  });
});
