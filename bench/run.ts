// `npm run bench [-- --quick] [-- name-filter]`: runs every bench/*.bench.ts, prints one table,
// and writes bench/results/latest.json and bench/results/latest.md (the README quotes the latter).
import { writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchModule, BenchRow } from './harness.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => !a.startsWith('--'));
const dir = new URL('.', import.meta.url).pathname;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const sections: { title: string; rows: BenchRow[] }[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)).default as BenchModule;
  process.stderr.write(`running ${mod.title}…\n`);
  const rows = await mod.run({ quick });
  sections.push({ title: mod.title, rows });
}

const md: string[] = [`Machine: ${machine}. Date: ${new Date().toISOString().slice(0, 10)}.`, ''];
for (const s of sections) {
  md.push(`### ${s.title}`, '', '| case | figures | target | met |', '|---|---|---|---|');
  for (const r of s.rows) {
    const figs = Object.entries(r.figures)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    md.push(
      `| ${r.case} | ${figs} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} |`,
    );
  }
  md.push('');
}
const text = md.join('\n');
console.log(text);
mkdirSync(join(dir, 'results'), { recursive: true });
writeFileSync(
  join(dir, 'results', 'latest.json'),
  JSON.stringify({ machine, date: new Date().toISOString(), sections }, null, 2),
);
writeFileSync(join(dir, 'results', 'latest.md'), text + '\n');
