import { BATCH_SIZE, type BatchResult, type Call, type PortalClient } from './client.ts';
import { currentRestClass } from './rest-priority.ts';

/**
 * Reads asked while another is on its way go out together (issue 20). Per portal and REST class,
 * one merged batch is in flight at a time (waiting for the budget, or on the wire); the command
 * sets asked meanwhile queue up, and the next batch carries as many of them as fit in 50
 * commands. With nothing in flight a set leaves at once, so a quiet portal sees no delay; under
 * load, when requests wait for the budget anyway, a dozen lead reads cost one request instead of
 * a dozen.
 *
 * Only reads: a write (BatchOptions.once) must never share its fate with others. Each set's
 * labels are prefixed in the merged batch and its `$result[label]…` references rewritten with
 * them, so a set that chains its commands (crm.duplicate.findbycomm on the lead's phone) works
 * the same; results, errors and totals come back under the set's own labels.
 */
export class BatchMerger {
  private readonly lanes = new Map<string, Lane>();
  private seq = 0;
  /** merged batches sent, and command sets they carried (for the figures) */
  readonly sent = { batches: 0, sets: 0 };

  batch(client: PortalClient, calls: Record<string, Call>): Promise<BatchResult> {
    const size = Object.keys(calls).length;
    if (size === 0) return Promise.resolve({ results: {}, errors: {} });
    const key = `${client.memberId}\u0000${currentRestClass()}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { busy: false, queue: [] };
      this.lanes.set(key, lane);
    }
    return new Promise<BatchResult>((resolve, reject) => {
      lane.queue.push({ client, calls, size, resolve, reject, prefix: `m${++this.seq}_` });
      if (!lane.busy) void this.flush(key, lane);
    });
  }

  private async flush(key: string, lane: Lane): Promise<void> {
    lane.busy = true;
    try {
      while (lane.queue.length > 0) {
        const take: Pending[] = [lane.queue.shift()!];
        let commands = take[0]!.size;
        while (lane.queue.length > 0 && commands + lane.queue[0]!.size <= BATCH_SIZE) {
          const next = lane.queue.shift()!;
          commands += next.size;
          take.push(next);
        }
        await this.send(take);
      }
    } finally {
      lane.busy = false;
      if (lane.queue.length === 0) this.lanes.delete(key);
    }
  }

  private async send(sets: Pending[]): Promise<void> {
    const merged: Record<string, Call> = {};
    for (const s of sets) {
      const labels = new Set(Object.keys(s.calls));
      for (const [label, [method, params]] of Object.entries(s.calls))
        merged[s.prefix + label] = [
          method,
          relabel(params ?? {}, labels, s.prefix) as Record<string, unknown>,
        ];
    }
    let r: BatchResult;
    try {
      r = await sets[0]!.client.batch(merged);
    } catch (err) {
      for (const s of sets) s.reject(err);
      return;
    }
    this.sent.batches++;
    this.sent.sets += sets.length;
    for (const s of sets) {
      const out: BatchResult = { results: {}, errors: {} };
      for (const label of Object.keys(s.calls)) {
        const k = s.prefix + label;
        if (k in r.results) out.results[label] = r.results[k];
        if (r.errors[k]) out.errors[label] = r.errors[k];
        const total = r.totals?.[k];
        if (total !== undefined) out.totals = { ...out.totals, [label]: total };
      }
      s.resolve(out);
    }
  }
}

interface Pending {
  client: PortalClient;
  calls: Record<string, Call>;
  size: number;
  prefix: string;
  resolve(r: BatchResult): void;
  reject(err: unknown): void;
}

interface Lane {
  busy: boolean;
  queue: Pending[];
}

const REF = /\$(result|result_error|result_total|result_next|result_time)\[([^\]]*)\]/g;

/** `params` with every batch reference to one of `labels` pointing at its prefixed label. */
function relabel(v: unknown, labels: ReadonlySet<string>, prefix: string): unknown {
  if (typeof v === 'string')
    return v.replace(REF, (m, kind: string, label: string) =>
      labels.has(label) ? `$${kind}[${prefix}${label}]` : m,
    );
  if (Array.isArray(v)) return v.map((x) => relabel(x, labels, prefix));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, relabel(x, labels, prefix)]));
  return v;
}
