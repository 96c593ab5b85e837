import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FreedWatch } from '../../src/openlines/freed-watch.ts';
import type { OpenLinesService } from '../../src/openlines/service.ts';

test('a tick whose portal list fails logs it and resolves: the interval never leaves an unhandled rejection', async () => {
  const warned: string[] = [];
  const svc = {
    d: { log: { warn: (_o: unknown, msg: string) => warned.push(msg) } },
  } as unknown as OpenLinesService;
  const watch = new FreedWatch(svc, async () => {
    throw new Error('database is locked');
  });
  await watch.tickAll();
  assert.deepEqual(warned, ['freed-place watch could not list portals; sync catches up']);
  // The next tick runs again (the running flag was released).
  await watch.tickAll();
  assert.equal(warned.length, 2);
});
