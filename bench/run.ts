// `npm run bench [-- --quick] [-- name-filter]`: runs the bench/*.bench.ts modules, prints one table,
// and writes bench/results/latest.json and bench/results/latest.md (the README quotes the latter).
//
// A module marked `separate` (the 2-hour soak) runs only when a filter names it
// (`npm run bench:soak` = `npm run bench -- soak`), so the whole `npm run bench` stays a few
// minutes long. The results files keep every section's last figures with its own date and machine:
// a run replaces the sections it ran and leaves the others as they were. `--quick` (shorter runs)
// prints only and writes nothing, so quick figures never stand in for the real ones.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchModule, BenchRow } from './harness.ts';

interface Section {
  title: string;
  rows: BenchRow[];
  date?: string;
  machine?: string;
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => !a.startsWith('--'));
const dir = new URL('.', import.meta.url).pathname;
const named = (f: string) => filters.some((x) => f.includes(x));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || named(f))
  .sort();

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const date = new Date().toISOString();
const ran: Section[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)).default as BenchModule;
  if (mod.separate && !named(f)) {
    process.stderr.write(
      `skipped ${mod.title}: run it with \`npm run bench -- ${f.replace('.bench.ts', '')}\`\n`,
    );
    continue;
  }
  process.stderr.write(`running ${mod.title}…\n`);
  const rows = await mod.run({ quick });
  ran.push({ title: mod.title, rows, date, machine });
}

const resultsDir = join(dir, 'results');
const jsonPath = join(resultsDir, 'latest.json');
const previous = existsSync(jsonPath)
  ? (JSON.parse(readFileSync(jsonPath, 'utf8')) as { machine?: string; date?: string; sections?: Section[] })
  : {};
const sections: Section[] = (previous.sections ?? []).map((s) => ({
  ...s,
  date: s.date ?? previous.date,
  machine: s.machine ?? previous.machine,
}));
for (const s of ran) {
  const i = sections.findIndex((x) => x.title === s.title);
  if (i >= 0) sections[i] = s;
  else sections.push(s);
}

const table = (list: Section[]): string => {
  const md: string[] = [];
  for (const s of list) {
    md.push(`### ${s.title}`, '', `Run ${s.date?.slice(0, 10) ?? '?'} on ${s.machine ?? '?'}.`, '');
    md.push('| case | figures | target | met |', '|---|---|---|---|');
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
  return md.join('\n');
};

console.log(table(ran));
if (quick) {
  process.stderr.write('--quick: results files left as they were\n');
} else if (ran.length > 0) {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(jsonPath, JSON.stringify({ sections }, null, 2));
  writeFileSync(
    join(resultsDir, 'latest.md'),
    `Each section is the last run of that benchmark (\`npm run bench\`; the soak: \`npm run bench:soak\`).\n\n${table(sections)}\n`,
  );
}
