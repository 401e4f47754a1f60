import type { FactoryError } from './errors.js';

/**
 * Upstream failures remembered for a short while per cache key, so a broken or missing image costs one upstream
 * fetch per `ttlMs`, not one per client (a boot storm of machines retrying a 404ing asset would otherwise turn into
 * as many factory requests). Bounded: past `maxEntries` the oldest is forgotten. `ttlMs` 0 remembers nothing.
 */
export class FailureMemo {
  readonly #entries = new Map<string, { error: FactoryError; until: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(opts: { ttlMs: number; maxEntries?: number; now?: () => number }) {
    this.#ttlMs = opts.ttlMs;
    this.#maxEntries = opts.maxEntries ?? 4096;
    this.#now = opts.now ?? Date.now;
  }

  remember(hash: string, error: FactoryError): void {
    if (this.#ttlMs <= 0) return;
    this.#entries.delete(hash);
    this.#entries.set(hash, { error, until: this.#now() + this.#ttlMs });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /** The remembered failure while it is fresh, else null (and it is forgotten). */
  recall(hash: string): FactoryError | null {
    const entry = this.#entries.get(hash);
    if (entry === undefined) return null;
    if (this.#now() < entry.until) return entry.error;
    this.#entries.delete(hash);
    return null;
  }

  get size(): number {
    return this.#entries.size;
  }
}
