import uPlot from 'uplot';
import { fmtSeconds } from '../format.ts';
import { locale, t } from '../words.ts';

/** What GET /api/charts answers (src/web/api/charts.ts). */
export interface Charts {
  range: 'today' | 'week';
  from: number;
  to: number;
  assignments: { hours: number[]; operators: { id: number; name: string; counts: number[] }[] };
  waiting: { step: number; at: number[]; dialogs: number[]; leads: number[] };
  firstAnswer: { lineId: number; name: string; n: number; p50: number | null; p90: number | null }[];
}

/** Colours of the portal's palette, one per series in turn. */
export const PALETTE = [
  '#2fc6f6',
  '#9dcf00',
  '#ff5752',
  '#ffa900',
  '#8e52ec',
  '#00a2c9',
  '#1ec6a0',
  '#e0739a',
  '#6f8499',
  '#c2a86b',
];
const textColor = () => getComputedStyle(document.body).color || '#333';
const gridColor = 'rgba(128,128,128,0.15)';

function axes(x: uPlot.Axis, y: uPlot.Axis): uPlot.Axis[] {
  const stroke = textColor();
  return [
    { stroke, grid: { stroke: gridColor }, ticks: { stroke: gridColor }, ...x },
    { stroke, grid: { stroke: gridColor }, ticks: { stroke: gridColor }, size: 40, ...y },
  ];
}
const timeLabel = (range: Charts['range']) => (ms: number) =>
  range === 'week'
    ? new Date(ms).toLocaleString(locale, { weekday: 'short', hour: '2-digit', minute: '2-digit' })
    : new Date(ms).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
const timeTicks = (range: Charts['range']) => (_u: uPlot, splits: number[]) =>
  splits.map((s) =>
    range === 'week'
      ? new Date(s * 1000).toLocaleDateString(locale, { weekday: 'short', day: 'numeric' })
      : new Date(s * 1000).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' }),
  );

/** Assignments per hour, one colour per operator, stacked: the top of each bar is the hour's total. */
export function assignmentsChart(c: Charts): {
  data: uPlot.AlignedData;
  build: (w: number) => uPlot.Options;
} {
  const ops = c.assignments.operators;
  const x = c.assignments.hours.map((h) => h / 1000);
  // Stacking by hand (uPlot draws bars, not stacks): series k is the sum of operators 0..k,
  // drawn from the tallest down so each one's own part shows.
  const cumulative: number[][] = [];
  for (const [k, o] of ops.entries())
    cumulative.push(o.counts.map((n, i) => n + (k ? cumulative[k - 1][i] : 0)));
  const order = ops.map((_, k) => ops.length - 1 - k);
  const data: uPlot.AlignedData = [x, ...order.map((k) => cumulative[k])];
  const label = timeLabel(c.range);
  const build = (width: number): uPlot.Options => ({
    width,
    height: 220,
    scales: {
      // the whole period, the last hour's bar included (bars stand to the right of their hour)
      x: { time: true, range: () => [x[0] ?? c.from / 1000, (x[x.length - 1] ?? c.from / 1000) + 3600] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
    axes: axes(
      { values: timeTicks(c.range) },
      { values: (_u, s) => s.map((v) => (Number.isInteger(v) ? String(v) : '')) },
    ),
    series: [
      { label: t('chart_time'), value: (_u, v) => (v === null ? '—' : label(v * 1000)) },
      ...order.map((k) => ({
        label: ops[k].name,
        fill: PALETTE[k % PALETTE.length],
        stroke: PALETTE[k % PALETTE.length],
        paths: uPlot.paths.bars!({ size: [0.8, 40], align: 1 }),
        points: { show: false },
        value: (_u: uPlot, _v: number | null, _si: number, i: number | null) =>
          i === null ? '—' : String(ops[k].counts[i]),
      })),
    ],
  });
  return { data, build };
}

/** The waiting queue over time: dialogs and leads, as steps (a count holds until the next sample). */
export function waitingChart(c: Charts): { data: uPlot.AlignedData; build: (w: number) => uPlot.Options } {
  const data: uPlot.AlignedData = [c.waiting.at.map((a) => a / 1000), c.waiting.dialogs, c.waiting.leads];
  const label = timeLabel(c.range);
  const build = (width: number): uPlot.Options => ({
    width,
    height: 200,
    scales: {
      x: { time: true, range: () => [c.from / 1000, c.to / 1000] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
    axes: axes(
      { values: timeTicks(c.range) },
      { values: (_u, s) => s.map((v) => (Number.isInteger(v) ? String(v) : '')) },
    ),
    series: [
      { label: t('chart_time'), value: (_u, v) => (v === null ? '—' : label(v * 1000)) },
      {
        label: t('legend_dialogs'),
        stroke: PALETTE[0],
        fill: 'rgba(47,198,246,0.15)',
        width: 2,
        paths: uPlot.paths.stepped!({ align: 1 }),
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null ? '—' : String(v)),
      },
      {
        label: t('legend_leads'),
        stroke: PALETTE[1],
        width: 2,
        paths: uPlot.paths.stepped!({ align: 1 }),
        points: { show: false },
        value: (_u: uPlot, v: number | null) => (v === null ? '—' : String(v)),
      },
    ],
  });
  return { data, build };
}

/** Time to first answer per line: the median (p50) and the slow tail (p90) side by side. */
export function firstAnswerChart(c: Charts): {
  data: uPlot.AlignedData;
  build: (w: number) => uPlot.Options;
} {
  return percentileBars(c.firstAnswer, t('col_line'));
}

/**
 * p50 and p90 side by side per row (a line, an operator, a lead queue), in seconds: the time to
 * first answer here, the time to first touch of leads on the speed-to-lead card.
 */
export function percentileBars(
  rows: { name: string; p50: number | null; p90: number | null }[],
  rowLabel: string,
): {
  data: uPlot.AlignedData;
  build: (w: number) => uPlot.Options;
} {
  const data: uPlot.AlignedData = [rows.map((_, i) => i), rows.map((r) => r.p50), rows.map((r) => r.p90)];
  const build = (width: number): uPlot.Options => ({
    width,
    height: 200,
    scales: {
      x: { time: false, range: [-0.5, Math.max(0.5, rows.length - 0.5)] },
      y: { range: (_u, _min, max) => [0, Math.max(10, max)] },
    },
    axes: axes(
      { splits: () => rows.map((_, i) => i), values: (_u, s) => s.map((i) => rows[i]?.name ?? '') },
      { values: (_u, s) => s.map((v) => fmtSeconds(v)), size: 60 },
    ),
    cursor: { points: { show: false } },
    series: [
      { label: rowLabel, value: (_u, i) => (i === null ? '—' : (rows[i]?.name ?? '')) },
      {
        label: t('p50'),
        fill: PALETTE[0],
        stroke: PALETTE[0],
        paths: uPlot.paths.bars!({ size: [0.35, 48], align: -1 }),
        points: { show: false },
        value: (_u, v) => fmtSeconds(v),
      },
      {
        label: t('p90'),
        fill: PALETTE[3],
        stroke: PALETTE[3],
        paths: uPlot.paths.bars!({ size: [0.35, 48], align: 1 }),
        points: { show: false },
        value: (_u, v) => fmtSeconds(v),
      },
    ],
  });
  return { data, build };
}

/** The what-if's tally: how many of the next N items each operator would get. */
export function tallyChart(rows: { name: string; n: number }[]): {
  data: uPlot.AlignedData;
  build: (w: number) => uPlot.Options;
} {
  const data: uPlot.AlignedData = [rows.map((_, i) => i), rows.map((r) => r.n)];
  const build = (width: number): uPlot.Options => ({
    width,
    height: 160,
    scales: {
      x: { time: false, range: [-0.5, Math.max(0.5, rows.length - 0.5)] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
    axes: axes(
      {
        splits: () => rows.map((_, i) => i),
        values: (_u, s) => s.map((i) => rows[i]?.name ?? ''),
        rotate: rows.length > 4 ? -30 : 0,
        size: rows.length > 4 ? 60 : 30,
      },
      { values: (_u, s) => s.map((v) => (Number.isInteger(v) ? String(v) : '')), size: 30 },
    ),
    cursor: { points: { show: false } },
    legend: { show: false },
    series: [
      { label: t('col_operator') },
      {
        label: t('whatif_title'),
        fill: PALETTE[0],
        stroke: PALETTE[0],
        paths: uPlot.paths.bars!({ size: [0.6, 40] }),
        points: { show: false },
      },
    ],
  });
  return { data, build };
}
