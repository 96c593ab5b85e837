// Distribution engine: time per decision for queues of 10, 1,000 and 10,000 operators, the index
// (Dispatcher) side by side with a naive filter + sort per decision and with the pure `decide`.
//
// Each measured step is one steady-state decision: decide + commit for a new dialog, plus one
// load update for the oldest open item closing (so the queue neither fills up nor drains). The
// clock moves 1 s per step, so shift edges and absence ends fire along the way. A quarter of the
// operators are unavailable in varied ways and everyone has a limit, so skipping is real work.
import {
  availabilityOf,
  countedLoad,
  Dispatcher,
  decide,
  type Mode,
  type OperatorState,
  type QueueRules,
  queueRulesSchema,
} from '../src/engine/index.ts';
import type { BenchModule, BenchRow } from './harness.ts';
import { round } from './harness.ts';

const T0 = Date.UTC(2025, 5, 2, 9, 0);
const SIZES = [10, 1_000, 10_000];
const MODES: Exclude<Mode, 'all'>[] = ['evenly', 'strictly', 'least_loaded', 'weighted'];
const LIMIT = 5;
const TARGET_US: Record<number, number> = { 1000: 5, 10000: 50 };

/** Deterministic pseudo-random numbers, so every run measures the same queue. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface World {
  rules: QueueRules;
  ops: OperatorState[];
  /** Operator ids of open items, oldest first. */
  open: number[];
}

function world(n: number, mode: Exclude<Mode, 'all'>): World {
  const rnd = lcg(n * 7 + mode.length);
  const ops: OperatorState[] = [];
  const open: number[] = [];
  for (let id = 1; id <= n; id++) {
    const r = rnd();
    const o: OperatorState = {
      id,
      active: true,
      online: true,
      workday: 'OPENED',
      lastAssignedAt: T0 - Math.floor(rnd() * 3_600_000),
    };
    if (r < 0.1) o.online = false;
    else if (r < 0.15) o.workday = 'PAUSED';
    else if (r < 0.2) o.absentUntil = T0 + Math.floor(rnd() * 4 * 3_600_000);
    else if (r < 0.22) o.paused = true;
    else if (r < 0.25) o.active = false;
    if (rnd() < 0.1) {
      const from = Math.floor(rnd() * 24);
      const to = (from + 8) % 24;
      const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
      o.schedule = {
        timeZone: 'Europe/Moscow',
        days: Object.fromEntries(
          ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [[hh(from), hh(to)]]]),
        ),
      };
    }
    const load = Math.floor(rnd() * LIMIT);
    o.load = { notAnswered: load };
    for (let k = 0; k < load; k++) open.push(id);
    ops.push(o);
  }
  // Shuffle so closes do not go operator by operator.
  for (let i = open.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [open[i], open[j]] = [open[j], open[i]];
  }
  const rules = queueRulesSchema.parse({
    mode,
    queue: ops.map((o) => ({
      id: o.id,
      weight: 1 + Math.floor(rnd() * 10),
      ...(o.id % 50 === 0 ? { limit: 8 } : {}),
    })),
    capacity: { limit: LIMIT, counts: 'all_open' },
  });
  return { rules, ops, open };
}

/** The obvious implementation: filter the eligible, sort them by the mode's order, take the first. */
function naive(w: World): (now: number) => number | null {
  const ops = w.ops.map((o) => ({ ...o, load: { ...o.load }, credit: 0 }));
  const members = w.rules.queue;
  const byId = new Map(ops.map((o, i) => [o.id, { o, m: members[i], pos: i }]));
  const counts = w.rules.capacity.counts;
  const mode = w.rules.mode;
  let head = 0;
  const open = [...w.open];
  return (now) => {
    const eligible = [...byId.values()].filter(
      ({ o, m }) =>
        availabilityOf(o, w.rules, now) === null && countedLoad(o.load, counts) < (m.limit ?? LIMIT),
    );
    const last = (x: OperatorState) => x.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
    const total = eligible.reduce((s, e) => s + e.m.weight, 0);
    if (mode === 'weighted') for (const e of eligible) e.o.credit! += e.m.weight;
    eligible.sort((a, b) => {
      if (mode === 'strictly') return a.pos - b.pos;
      if (mode === 'weighted') {
        const da = a.o.credit! > 0 ? (total - a.o.credit!) / a.m.weight : Number.POSITIVE_INFINITY;
        const db = b.o.credit! > 0 ? (total - b.o.credit!) / b.m.weight : Number.POSITIVE_INFINITY;
        return da - db || b.o.credit! - a.o.credit! || a.pos - b.pos;
      }
      const dl = mode === 'least_loaded' ? countedLoad(a.o.load, counts) - countedLoad(b.o.load, counts) : 0;
      return dl || last(a.o) - last(b.o) || a.pos - b.pos;
    });
    const win = eligible[0];
    if (win) {
      if (mode === 'weighted') win.o.credit! -= total;
      win.o.lastAssignedAt = now;
      win.o.load.notAnswered = (win.o.load.notAnswered ?? 0) + 1;
      open.push(win.o.id);
    }
    const closing = byId.get(open[head++]);
    if (closing) closing.o.load.notAnswered = Math.max(0, (closing.o.load.notAnswered ?? 0) - 1);
    return win ? win.o.id : null;
  };
}

function indexed(w: World): (now: number) => number | null {
  const index = new Dispatcher(w.rules, w.ops, T0);
  // The caller's own record of open items per operator (its database, in real life).
  const load = new Map(w.ops.map((o) => [o.id, o.load?.notAnswered ?? 0]));
  const open = [...w.open];
  let head = 0;
  let k = 0;
  return (now) => {
    const d = index.assign({ id: ++k, kind: 'dialog' }, now);
    if (d.action === 'assign') {
      open.push(d.operatorId);
      load.set(d.operatorId, load.get(d.operatorId)! + 1);
    }
    const id = open[head++];
    if (id !== undefined) {
      const left = Math.max(0, load.get(id)! - 1);
      load.set(id, left);
      index.setLoad(id, { notAnswered: left });
    }
    return d.action === 'assign' ? d.operatorId : null;
  };
}

/** The pure decide, with the caller keeping the states (as a small-queue handler would). */
function reference(w: World): (now: number) => number | null {
  const ops = w.ops.map((o) => ({ ...o, load: { ...o.load } }));
  const byId = new Map(ops.map((o) => [o.id, o]));
  const open = [...w.open];
  let head = 0;
  let k = 0;
  return (now) => {
    const d = decide(w.rules, ops, { id: ++k, kind: 'dialog' }, now);
    if (d.action === 'assign') {
      const o = byId.get(d.operatorId)!;
      o.lastAssignedAt = d.stamp;
      o.load!.notAnswered = (o.load!.notAnswered ?? 0) + 1;
      if (d.credits) for (const [id, c] of Object.entries(d.credits)) byId.get(Number(id))!.credit = c;
      open.push(d.operatorId);
    }
    const closing = byId.get(open[head++]);
    if (closing) closing.load!.notAnswered = Math.max(0, (closing.load!.notAnswered ?? 0) - 1);
    return d.action === 'assign' ? d.operatorId : null;
  };
}

/** µs per step: median of batch means, batches run until the time budget is spent. */
function measure(step: (now: number) => number | null, budgetMs: number, batch: number): number {
  let now = T0;
  for (let i = 0; i < Math.min(batch, 200); i++) {
    now += 1000;
    step(now); // warm-up
  }
  const means: number[] = [];
  const start = performance.now();
  while (means.length < 3 || (performance.now() - start < budgetMs && means.length < 50)) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) {
      now += 1000;
      step(now);
    }
    means.push(Number(process.hrtime.bigint() - t) / 1e3 / batch);
  }
  means.sort((a, b) => a - b);
  return means[Math.floor(means.length / 2)];
}

const bench: BenchModule = {
  title: 'Distribution engine: µs per decision (decide + commit + one load update)',
  async run({ quick }) {
    const budget = quick ? 60 : 400;
    const rows: BenchRow[] = [];
    // Warm-up: compile the hot paths and build the time-zone formatters before anything is timed.
    for (const mode of MODES) {
      for (const make of [indexed, naive, reference]) measure(make(world(100, mode)), 5, 200);
      new Dispatcher(world(100, mode).rules, world(100, mode).ops, T0);
    }
    for (const mode of MODES) {
      const perSize: Record<number, number> = {};
      for (const n of SIZES) {
        const w = world(n, mode);
        const buildStart = performance.now();
        new Dispatcher(w.rules, w.ops, T0);
        const buildMs = performance.now() - buildStart;
        const idx = measure(indexed(world(n, mode)), budget, n >= 10_000 ? 2_000 : 5_000);
        const slowBatch = Math.max(5, Math.round(20_000 / n));
        const nai = measure(naive(world(n, mode)), budget, slowBatch);
        const ref = measure(reference(world(n, mode)), budget, slowBatch);
        perSize[n] = idx;
        const target = TARGET_US[n];
        rows.push({
          case: `${mode}, ${n.toLocaleString('en-US')} operators`,
          figures: {
            'index µs/decision': round(idx, 3),
            'naive filter+sort µs/decision': round(nai, 1),
            'pure decide µs/decision': round(ref, 1),
            'index build ms': round(buildMs, 2),
          },
          ...(target ? { target: `index ≤ ${target} µs`, met: idx <= target } : {}),
        });
      }
      const growth = perSize[10_000] / perSize[1_000];
      rows.push({
        case: `${mode}, growth 1,000 → 10,000 operators`,
        figures: { 'index time ratio': round(growth, 2) },
        target: 'no worse than linear (≤ 10×)',
        met: growth <= 10,
      });
    }
    return rows;
  },
};

export default bench;
