/**
 * Small data structures for the index: a binary heap over integer slots that supports removal
 * and re-keying by slot, a min-heap of (time, slot) pairs, and a two-level-summary bit set with
 * "next set bit at or after i" in O(log₃₂ n).
 */

/** Heap of slot numbers ordered by `less`; every slot is in the heap at most once. */
export class SlotHeap {
  readonly #less: (a: number, b: number) => boolean;
  readonly #heap: number[] = [];
  /** slot → index in #heap, or -1. */
  readonly #where: number[] = [];

  constructor(less: (a: number, b: number) => boolean) {
    this.#less = less;
  }

  get size(): number {
    return this.#heap.length;
  }

  has(slot: number): boolean {
    return (this.#where[slot] ?? -1) >= 0;
  }

  peek(): number {
    return this.#heap.length > 0 ? this.#heap[0] : -1;
  }

  push(slot: number): void {
    if (this.has(slot)) {
      this.update(slot);
      return;
    }
    this.#heap.push(slot);
    this.#where[slot] = this.#heap.length - 1;
    this.#up(this.#heap.length - 1);
  }

  remove(slot: number): void {
    const i = this.#where[slot] ?? -1;
    if (i < 0) return;
    const last = this.#heap.pop()!;
    this.#where[slot] = -1;
    if (i < this.#heap.length) {
      this.#heap[i] = last;
      this.#where[last] = i;
      this.#down(this.#up(i));
    }
  }

  /** Restores order after the slot's key changed. */
  update(slot: number): void {
    const i = this.#where[slot] ?? -1;
    if (i >= 0) this.#down(this.#up(i));
  }

  #up(i: number): number {
    const h = this.#heap;
    const x = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(x, h[p])) break;
      h[i] = h[p];
      this.#where[h[i]] = i;
      i = p;
    }
    h[i] = x;
    this.#where[x] = i;
    return i;
  }

  #down(i: number): void {
    const h = this.#heap;
    const n = h.length;
    const x = h[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.#less(h[c + 1], h[c])) c++;
      if (!this.#less(h[c], x)) break;
      h[i] = h[c];
      this.#where[h[i]] = i;
      i = c;
    }
    h[i] = x;
    this.#where[x] = i;
  }
}

/** Min-heap of (time, slot); stale entries are the caller's to skip. */
export class TimeHeap {
  readonly #t: number[] = [];
  readonly #s: number[] = [];

  get size(): number {
    return this.#t.length;
  }

  minTime(): number {
    return this.#t.length > 0 ? this.#t[0] : Number.POSITIVE_INFINITY;
  }

  push(time: number, slot: number): void {
    const t = this.#t;
    const s = this.#s;
    let i = t.length;
    t.push(time);
    s.push(slot);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (t[p] <= time) break;
      t[i] = t[p];
      s[i] = s[p];
      i = p;
    }
    t[i] = time;
    s[i] = slot;
  }

  /** Removes the earliest entry and returns its slot. */
  pop(): number {
    const t = this.#t;
    const s = this.#s;
    const top = s[0];
    const lt = t.pop()!;
    const ls = s.pop()!;
    const n = t.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && t[c + 1] < t[c]) c++;
        if (t[c] >= lt) break;
        t[i] = t[c];
        s[i] = s[c];
        i = c;
      }
      t[i] = lt;
      s[i] = ls;
    }
    return top;
  }

  clear(): void {
    this.#t.length = 0;
    this.#s.length = 0;
  }
}

function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** Bit set over 0..capacity-1 that grows on demand; `next(i)` finds the first set bit ≥ i. */
export class BitSet {
  /** levels[0] holds the bits; levels[k+1] has a bit per non-zero word of levels[k]. */
  #levels: Uint32Array[] = [];
  #capacity = 0;

  constructor(capacity = 1024) {
    this.#alloc(capacity);
  }

  #alloc(capacity: number): void {
    const old = this.#levels[0];
    this.#capacity = Math.max(32, capacity);
    this.#levels = [];
    let words = Math.ceil(this.#capacity / 32);
    for (;;) {
      this.#levels.push(new Uint32Array(words));
      if (words === 1) break;
      words = Math.ceil(words / 32);
    }
    if (old) {
      this.#levels[0].set(old);
      for (let w = 0; w < old.length; w++) if (old[w] !== 0) this.#mark(1, w);
    }
  }

  #mark(level: number, i: number): void {
    for (let l = level; l < this.#levels.length; l++) {
      const word = this.#levels[l];
      const before = word[i >>> 5];
      word[i >>> 5] = before | (1 << (i & 31));
      if (before !== 0) return;
      i >>>= 5;
    }
  }

  add(i: number): void {
    if (i >= this.#capacity) this.#alloc(Math.max(i + 1, this.#capacity * 2));
    this.#mark(0, i);
  }

  delete(i: number): void {
    if (i >= this.#capacity) return;
    for (let l = 0; l < this.#levels.length; l++) {
      const word = this.#levels[l];
      const after = word[i >>> 5] & ~(1 << (i & 31));
      word[i >>> 5] = after;
      if (after !== 0) return;
      i >>>= 5;
    }
  }

  has(i: number): boolean {
    return i < this.#capacity && (this.#levels[0][i >>> 5] & (1 << (i & 31))) !== 0;
  }

  /** The first set bit at or after `from`, or -1. */
  next(from: number): number {
    return from >= this.#capacity ? -1 : this.#next(0, Math.max(0, from));
  }

  #next(level: number, from: number): number {
    const words = this.#levels[level];
    const w = from >>> 5;
    if (w >= words.length) return -1;
    const here = words[w] & (~0 << (from & 31));
    if (here !== 0) return (w << 5) + ctz(here);
    if (level + 1 >= this.#levels.length) return -1;
    const nw = this.#next(level + 1, w + 1);
    return nw < 0 ? -1 : (nw << 5) + ctz(words[nw]);
  }
}
