/**
 * Keyed single-flight with a bounded memo of successes: concurrent callers for one key share one promise; a
 * success is remembered (least recently used dropped past `maxEntries`); a failure is forgotten at once so the
 * next caller retries.
 */
export class SingleFlightMemo<V> {
  readonly #done = new Map<string, V>();
  readonly #pending = new Map<string, Promise<V>>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** `run` is called only when the key is neither remembered nor in flight. */
  get(key: string, run: () => Promise<V>): { value: Promise<V>; source: 'memo' | 'joined' | 'started' } {
    if (this.#done.has(key)) {
      const v = this.#done.get(key) as V;
      this.#done.delete(key); // re-insert: Map order is our LRU order
      this.#done.set(key, v);
      return { value: Promise.resolve(v), source: 'memo' };
    }
    const pending = this.#pending.get(key);
    if (pending !== undefined) return { value: pending, source: 'joined' };
    const p = run().then(
      (v) => {
        this.#pending.delete(key);
        this.#done.set(key, v);
        if (this.#done.size > this.#maxEntries) {
          const oldest = this.#done.keys().next();
          if (oldest.done !== true) this.#done.delete(oldest.value);
        }
        return v;
      },
      (err: unknown) => {
        this.#pending.delete(key);
        throw err;
      },
    );
    this.#pending.set(key, p);
    return { value: p, source: 'started' };
  }

  get size(): number {
    return this.#done.size;
  }
}
