/** What one benchmark module reports: rows of named figures, each with an optional target. */
export interface BenchRow {
  /** what was measured, e.g. "decision, 1,000 operators" */
  case: string;
  /** figure name → value; units in the name, e.g. { "µs/decision": 1.9, "naive µs/decision": 40 } */
  figures: Record<string, number | string>;
  /** the target the issue sets, in words, e.g. "≤ 5 µs" */
  target?: string;
  /** whether the target was met (omitted when there is no target) */
  met?: boolean;
}

export interface BenchModule {
  title: string;
  /** long: runs only when a filter names it (bench/run.ts), not in the whole `npm run bench` */
  separate?: boolean;
  run(opts: { quick: boolean }): Promise<BenchRow[]>;
}

/** Percentile of a sorted-or-not array of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
