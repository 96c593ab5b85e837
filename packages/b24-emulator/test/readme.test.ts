import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
// @ts-expect-error: a plain ESM script without types
import { readmeWithAssumptions, renderAssumptions } from '../scripts/assumptions.mjs';

test('the README lists every assumption in src/assumptions.ts, as it stands', () => {
  const source = readFileSync(new URL('../src/assumptions.ts', import.meta.url), 'utf8');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const list: string = renderAssumptions(source);
  const names = [...source.matchAll(/export const (\w+)/g)].map((m) => m[1]);
  for (const n of names) assert.ok(list.includes(`\`${n}\``), `${n} is rendered`);
  assert.equal(readme, readmeWithAssumptions(readme, list), 'run: node scripts/assumptions.mjs --write');
});
