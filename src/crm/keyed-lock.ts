/**
 * One-at-a-time sections per key, in this process. Two leads for the same queue decided at
 * once would read the same "last assigned" state and both go to the same operator; deciding
 * and recording under the queue's key keeps evenly and weighted fair.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
