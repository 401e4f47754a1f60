// At most one `machine.discovered` per machine and message type per window: a PXE client repeats DISCOVERs
// every few seconds and a boot storm must not become an event storm. Bounded so a flood of random MACs cannot
// grow memory: the least recently seen key is evicted first.

export interface DebouncerOptions {
  /** Window in milliseconds; default 30 s. */
  readonly windowMs?: number;
  /** Most keys remembered; default 10,000. */
  readonly maxEntries?: number;
  /** Milliseconds clock; default Date.now. */
  readonly now?: () => number;
}

export class Debouncer {
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** key → time it was last admitted; Map iteration order is the LRU order (oldest first). */
  private readonly admitted = new Map<string, number>();

  constructor(options: DebouncerOptions = {}) {
    this.windowMs = options.windowMs ?? 30_000;
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  /** True when `mac` + `messageType` was not admitted within the window (and records it now). */
  admit(mac: string, messageType: string): boolean {
    const key = `${mac}/${messageType}`;
    const now = this.now();
    const last = this.admitted.get(key);
    this.admitted.delete(key);
    if (last !== undefined && now - last < this.windowMs) {
      this.admitted.set(key, last); // keep the admission time, refresh the LRU position
      return false;
    }
    this.admitted.set(key, now);
    if (this.admitted.size > this.maxEntries) {
      const oldest = this.admitted.keys().next();
      if (oldest.done !== true) this.admitted.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.admitted.size;
  }
}
