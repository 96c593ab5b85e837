// Renders src/assumptions.ts (every choice the emulator makes where the Bitrix24 docs are
// silent) as the README's list. `node scripts/assumptions.mjs --write` updates README.md
// between its markers; without --write it prints the list. A test keeps the two the same.
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const START = '<!-- assumptions:start -->';
const END = '<!-- assumptions:end -->';

export function renderAssumptions(source) {
  const out = [];
  const re = /\/\/ -{5,}\n\/\/ (.+)\n\/\/ -{5,}|(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*)?export const (\w+)/g;
  for (const m of source.matchAll(re)) {
    if (m[1]) {
      out.push('', `**${m[1]}**`, '');
      continue;
    }
    const doc = (m[2] ?? '')
      .replace(/^\s*\/\*\*|\*\/\s*$/g, '')
      .split('\n')
      .map((l) => l.trim().replace(/^\* ?/, ''))
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
    out.push(`- \`${m[3]}\`${doc ? `: ${doc}` : ''}`);
  }
  return out.join('\n').trim();
}

export function readmeWithAssumptions(readme, list) {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} section`);
  return `${readme.slice(0, a + START.length)}\n${list}\n${readme.slice(b)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const list = renderAssumptions(readFileSync(new URL('src/assumptions.ts', root), 'utf8'));
  if (process.argv.includes('--write')) {
    const path = new URL('README.md', root);
    writeFileSync(path, readmeWithAssumptions(readFileSync(path, 'utf8'), list));
  } else console.log(list);
}
