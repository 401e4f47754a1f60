/**
 * FIFO serialisation per key inside one process: the second command for a BMC waits here for the first instead
 * of competing with it for the fleet-wide lease. Pure bookkeeping, no I/O.
 */
export type KeyedQueue = {
  /** Runs `fn` after every earlier task of `key` has settled; rejects with `signal`'s reason if aborted first. */
  run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Runs `fn` only when nothing is running or waiting for `key`; otherwise returns null at once. */
  tryRun<T>(key: string, fn: () => Promise<T>): Promise<T> | null;
  busy(key: string): boolean;
  /** Tasks running or waiting, over all keys. */
  readonly size: number;
};

export function createKeyedQueue(): KeyedQueue {
  const tails = new Map<string, { tail: Promise<void>; count: number }>();
  let size = 0;

  function enqueue<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const slot = tails.get(key) ?? { tail: Promise.resolve(), count: 0 };
    slot.count++;
    size++;
    const previous = slot.tail;
    let release!: () => void;
    slot.tail = new Promise<void>((resolve) => (release = resolve));
    tails.set(key, slot);
    const done = () => {
      release();
      size--;
      if (--slot.count === 0 && tails.get(key) === slot) tails.delete(key);
    };
    const waitTurn = signal === undefined ? previous : abortable(previous, signal);
    // An aborted waiter still holds its place until the one before it settles, so order is kept for the rest.
    return waitTurn.then(
      () => fn().finally(done),
      (err: unknown) => {
        void previous.then(done);
        throw err;
      },
    );
  }

  return {
    run: enqueue,
    tryRun: (key, fn) => (tails.has(key) ? null : enqueue(key, fn)),
    busy: (key) => tails.has(key),
    get size() {
      return size;
    },
  };
}

/** `p`, or a rejection with the signal's reason if it aborts first; the listener is removed either way. */
function abortable(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
