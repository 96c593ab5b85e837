/**
 * What can happen to a REST request after the portal has done its work: the answer is lost.
 * A real portal processes a request whether or not the caller is still there to read the
 * answer, so "the write happened, the app never heard" is an everyday outcome of a timeout, a
 * connection reset or the app's own crash. The emulator plays it on purpose:
 *
 * - `reset`: the portal did the work, then the connection is reset (the caller sees an error);
 * - `hang`: the portal did the work and never answers (the caller's timeout decides);
 * - a hold: matching requests are done and their answers wait until the test releases them,
 *   so a test can kill the app while its write is on the wire.
 */

export type WireFate = 'answer' | 'reset' | 'hang';

export interface WireFaultSpec {
  /** the HTTP request's method (`batch`, `imopenlines.bot.session.transfer`…); omitted = any */
  method?: string;
  kind: 'reset' | 'hang';
  /** the next `times` matching requests… */
  times?: number;
  /** …or this share of them (0–1), drawn from a generator seeded with `seed` */
  rate?: number;
  seed?: number;
}

export interface HeldAnswers {
  /** resolves when the first matching request has been done and its answer is held */
  readonly arrived: Promise<void>;
  /** requests done and held so far */
  readonly count: number;
  /** lets every held answer (and those still to come) go out */
  release(): void;
}

interface Rule extends WireFaultSpec {
  next: () => number;
}

/** Which requests a hold takes: a method name, or a test of the method and its parameters. */
export type HoldMatch = string | ((method: string, params: Record<string, unknown>) => boolean);

interface Hold {
  match?: (method: string, params: Record<string, unknown>) => boolean;
  count: number;
  released: boolean;
  waiters: (() => void)[];
  onArrive: () => void;
}

export class WireFaults {
  private rules: Rule[] = [];
  private holds: Hold[] = [];
  /** requests whose answers were dropped, by fate */
  readonly dropped = { reset: 0, hang: 0 };

  add(spec: WireFaultSpec): void {
    this.rules.push({ ...spec, method: spec.method?.toLowerCase(), next: mulberry32(spec.seed ?? 1) });
  }

  clear(): void {
    this.rules = [];
    for (const h of this.holds) this.releaseHold(h);
    this.holds = [];
  }

  hold(match?: HoldMatch): HeldAnswers {
    let onArrive!: () => void;
    const arrived = new Promise<void>((r) => {
      onArrive = r;
    });
    const test =
      typeof match === 'string' ? (m: string) => m === match.toLowerCase() : (match ?? (() => true));
    const h: Hold = { match: test, count: 0, released: false, waiters: [], onArrive };
    this.holds.push(h);
    return {
      arrived,
      get count() {
        return h.count;
      },
      release: () => this.releaseHold(h),
    };
  }

  /** Called once the portal has done a request's work: what becomes of its answer. */
  async fate(method: string, params: Record<string, unknown> = {}): Promise<WireFate> {
    const m = method.toLowerCase();
    for (const h of this.holds) {
      if (h.released || (h.match && !h.match(m, params))) continue;
      h.count++;
      h.onArrive();
      await new Promise<void>((r) => h.waiters.push(r));
    }
    for (const r of this.rules) {
      if (r.method !== undefined && r.method !== m) continue;
      let hit = false;
      if (r.times !== undefined) {
        if (r.times > 0) {
          r.times--;
          hit = true;
        }
      } else if (r.rate !== undefined) hit = r.next() < r.rate;
      if (hit) {
        this.dropped[r.kind]++;
        return r.kind;
      }
    }
    return 'answer';
  }

  private releaseHold(h: Hold): void {
    h.released = true;
    for (const w of h.waiters.splice(0)) w();
  }
}

/** A small seeded generator: the same faults in every run of a test. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
