import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { isRevisionConflict } from '../commands/buckets.js';
import { PowerError, PowerErrorCode } from '../commands/errors.js';
import { sleep } from '../commands/sleep.js';

/** What a lease value says about its holder (for people and logs; correctness rests on the revision). */
export type LeaseInfo = {
  replica: string;
  purpose: 'command' | 'poll';
  machineId: string;
  requestId: string | null;
  bmc: string;
};

export type Lease = {
  readonly key: string;
  /**
   * Aborted (reason: PowerError lease-lost) when the lease can no longer be trusted: a heartbeat found it taken over,
   * or no renewal has succeeded for 2/3 of the TTL (NATS unreachable, slow or refusing), so it may lapse any moment.
   */
  readonly lost: AbortSignal;
  /** Stops the heartbeat and deletes the key if it is still ours. Never throws. */
  release(): Promise<void>;
};

export type LeaseStore = {
  /**
   * Takes the lease of `key`, waiting up to `waitMs` (polling) while another holder has it. Resolves to null when
   * still held elsewhere after that, throws on NATS failures and when `signal` aborts.
   */
  acquire(key: string, info: LeaseInfo, opts: { waitMs: number; signal: AbortSignal }): Promise<Lease | null>;
  /** Who holds `key` now, if anyone (debugging, tests). */
  holder(key: string): Promise<LeaseInfo | null>;
};

/** The bucket operations a lease needs (the real KV, or a fake in unit tests). */
export type LeaseKv = Pick<KV, 'create' | 'update' | 'delete' | 'get'>;

export type LeaseStoreOptions = {
  ttlMs: number;
  logger: Logger;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
};

const POLL_MS = 100;

/**
 * Per-BMC mutual exclusion across replicas on a KV bucket whose max_age is the lease TTL:
 * `create()` acquires (compare-and-set on "no live value"), `update(rev)` renews every TTL/3, delete releases.
 * A replica killed with -9 stops renewing and its value ages out after at most one TTL. Works on nats-server 2.9.
 *
 * A holder that cannot renew must stop before its value can age out, or a second replica takes the lease and drives
 * the same BMC while the first still does. The server counts the TTL from its last write, which is never earlier
 * than when we sent that write; so when 2/3 of the TTL has passed since the last successful renewal (or the
 * acquisition) was sent, `lost` aborts, whatever the failure was (errors, or calls that hang). The last third is
 * the margin for the work in progress to see the abort and stop.
 */
export function createLeaseStore(kv: LeaseKv, opts: LeaseStoreOptions): LeaseStore {
  const renewMs = Math.max(50, Math.floor(opts.ttlMs / 3));
  const trustMs = Math.floor((opts.ttlMs * 2) / 3);
  const now = opts.now ?? (() => performance.now());
  const log = opts.logger;

  function hold(key: string, value: string, firstRevision: number, sentAt: number): Lease {
    const lost = new AbortController();
    let revision = firstRevision;
    let released = false;
    let takenOver = false;
    let confirmedAt = sentAt;
    let renewing: Promise<void> | null = null;
    let deadline: NodeJS.Timeout | undefined;

    const stop = (message: string): void => {
      if (released || lost.signal.aborted) return;
      clearInterval(timer);
      clearTimeout(deadline);
      lost.abort(new PowerError(PowerErrorCode.leaseLost, message));
    };
    const watch = (): void => {
      clearTimeout(deadline);
      deadline = setTimeout(
        () => {
          log.warn({ lease: key, trustMs }, 'BMC lease not renewed in time; stopping work before it can lapse');
          stop(`lease ${key} not renewed for ${trustMs} ms (NATS unreachable?); stopped before it could lapse`);
        },
        Math.max(0, confirmedAt + trustMs - now()),
      );
      deadline.unref();
    };

    async function renew(): Promise<void> {
      const attemptAt = now();
      try {
        const next = await kv.update(key, value, revision);
        if (released || lost.signal.aborted) return;
        revision = next;
        confirmedAt = attemptAt;
        watch();
      } catch (err) {
        if (released || lost.signal.aborted) return;
        if (isRevisionConflict(err)) {
          takenOver = true;
          log.warn({ lease: key }, 'BMC lease was taken over while held (renewal came too late); stopping work');
          stop(`lease ${key} lost`);
        } else {
          // A NATS hiccup: try again at the next tick; the deadline set by the last success still stands.
          log.warn({ lease: key, err }, 'BMC lease renewal failed; retrying');
        }
      }
    }

    const timer = setInterval(() => {
      // One renewal at a time: a call that hangs is not stacked on; the deadline covers it.
      if (renewing !== null || released || lost.signal.aborted) return;
      renewing = renew().finally(() => {
        renewing = null;
      });
    }, renewMs);
    timer.unref();
    watch();

    return {
      key,
      lost: lost.signal,
      async release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        clearTimeout(deadline);
        // Let a renewal in flight land (its revision is the one to delete), but not wait on one NATS never answers.
        if (renewing !== null) await settledWithin(renewing, renewMs);
        if (takenOver) return;
        try {
          await kv.delete(key, { previousSeq: revision });
        } catch (err) {
          // Taken over or NATS down: either way the value expires on its own.
          log.debug({ lease: key, err }, 'BMC lease release failed; it will expire');
        }
      },
    };
  }

  return {
    async acquire(key, info, { waitMs, signal }) {
      const value = JSON.stringify({ ...info, since: new Date().toISOString() });
      const until = Date.now() + waitMs;
      for (;;) {
        signal.throwIfAborted();
        const sentAt = now();
        try {
          const revision = await kv.create(key, value);
          return hold(key, value, revision, sentAt);
        } catch (err) {
          if (!isRevisionConflict(err)) throw err;
        }
        if (Date.now() + POLL_MS > until) return null;
        await sleep(POLL_MS, signal);
      }
    },
    async holder(key) {
      const e = await kv.get(key);
      if (e === null || e.operation !== 'PUT') return null;
      return e.json<LeaseInfo>();
    },
  };
}

/** Waits for `work` to settle, or `ms`, whichever comes first; never throws. */
async function settledWithin(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([work.catch(() => undefined), expired]);
  clearTimeout(timer);
}
