// The house rules docs/CONVENTIONS.md states about src/, checked on the files as they are:
// no file over 400 lines, and no circle of runtime imports.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const root = resolve(import.meta.dirname, '..', '..');
const src = join(root, 'src');
const MAX_LINES = 400;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

type ImportKind = 'static' | 'type' | 'dynamic';

/**
 * The relative files a module imports: static `import … from`, `export … from` and bare
 * `import '…'` ('static'), `import type` / `export type` ('type': erased at run time) and
 * `import('…')` ('dynamic': loaded later, when the code runs).
 */
export function importsOf(file: string, text: string): { to: string; kind: ImportKind }[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: { to: string; kind: ImportKind }[] = [];
  const re = /^\s*(import|export)\s+(?:(type)\s+)?(?:([^;]*?)\s+from\s+)?['"]([^'"\n]+)['"]/gm;
  for (const m of code.matchAll(re)) {
    const [, keyword, typeOnly, clause, spec] = m;
    // `export const x = …` and the like are not re-exports; only `export {…}` / `export *` carry a from.
    if (keyword === 'export' && clause === undefined) continue;
    if (spec.startsWith('.'))
      out.push({ to: resolve(dirname(file), spec), kind: typeOnly ? 'type' : 'static' });
  }
  for (const m of code.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    out.push({ to: resolve(dirname(file), m[1]), kind: 'dynamic' });
  }
  return out;
}

function graphOf(files: Map<string, string>, kinds: readonly ImportKind[]): Map<string, string[]> {
  return new Map(
    [...files].map(([f, text]) => [
      f,
      importsOf(f, text)
        .filter((i) => kinds.includes(i.kind))
        .map((i) => i.to),
    ]),
  );
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
export function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const rel = (p: string) => relative(root, p).split('\\').join('/');

describe('architecture of src/', () => {
  const files = sourceFiles(src);

  it(`has no file over ${MAX_LINES} lines (docs/CONVENTIONS.md)`, () => {
    const long = files
      .map((f) => ({ file: rel(f), lines: lineCount(readFileSync(f, 'utf8')) }))
      .filter((x) => x.lines > MAX_LINES)
      .map((x) => `${x.file}: ${x.lines} lines`);
    assert.deepEqual(long, [], 'split these along their seams');
  });

  const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

  it('has no circle of runtime imports (static, or import() when the code runs)', () => {
    const graph = graphOf(texts, ['static', 'dynamic']);
    // The parser must see imports at all, or an empty answer would mean nothing.
    assert.ok([...graph.values()].flat().length > 100, 'the import parser found almost no imports');
    const found = circles(graph).map((c) => c.map(rel).join(', '));
    assert.deepEqual(found, [], 'these files import each other in a circle');
  });

  it('has no circle even when type-only imports count', () => {
    // The circle issue 16 removed ran through type imports one way and an import() back: a reader
    // still needs the whole circle to understand one part.
    const found = circles(graphOf(texts, ['static', 'dynamic', 'type'])).map((c) => c.map(rel).join(', '));
    assert.deepEqual(found, [], 'these files import each other in a circle (type-only imports included)');
  });

  it('has no circle in the emulator package either (type-only imports included)', () => {
    // The emulator is a product of its own (issue 16): the same reading rule holds for it.
    const emu = join(root, 'packages', 'b24-emulator', 'src');
    const emuTexts = new Map(sourceFiles(emu).map((f) => [f, readFileSync(f, 'utf8')]));
    const graph = graphOf(emuTexts, ['static', 'dynamic', 'type']);
    assert.ok([...graph.values()].flat().length > 50, 'the import parser found almost no imports');
    const found = circles(graph).map((c) => c.map(rel).join(', '));
    assert.deepEqual(found, [], 'these emulator files import each other in a circle');
  });

  it('the circle check finds a circle and tells type-only imports apart', () => {
    const a = join(src, 'a.ts');
    const b = join(src, 'b.ts');
    const c = join(src, 'c.ts');
    const texts = new Map([
      [a, "import { b } from './b.ts';\nexport const a = 1;"],
      [b, "import {\n  type C,\n  c,\n} from './c.ts';\nexport { a } from './a.ts';"],
      [c, "import type { A } from './a.ts';\n// import { a } from './a.ts';\nexport const c = 1;"],
    ]);
    assert.deepEqual(circles(graphOf(texts, ['static', 'dynamic'])), [[a, b]]);
    assert.deepEqual(circles(graphOf(texts, ['static', 'dynamic', 'type'])), [[a, b, c]]);
    texts.set(c, "export const c = async () => (await import('./a.ts')).a;");
    assert.deepEqual(circles(graphOf(texts, ['static', 'dynamic'])), [[a, b, c]]);
    assert.deepEqual(circles(graphOf(texts, ['static'])), [[a, b]]);
  });
});
