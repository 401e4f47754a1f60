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
  /** Aborted (reason: PowerError lease-lost) if a heartbeat finds the lease taken over. */
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

const POLL_MS = 100;

/**
 * Per-BMC mutual exclusion across replicas on a KV bucket whose max_age is the lease TTL:
 * `create()` acquires (compare-and-set on "no live value"), `update(rev)` renews every TTL/3, delete releases.
 * A replica killed with -9 stops renewing and its value ages out after at most one TTL. Works on nats-server 2.9.
 */
export function createLeaseStore(kv: KV, opts: { ttlMs: number; logger: Logger }): LeaseStore {
  const renewMs = Math.max(50, Math.floor(opts.ttlMs / 3));
  const log = opts.logger;

  function hold(key: string, value: string, firstRevision: number): Lease {
    const lost = new AbortController();
    let revision = firstRevision;
    let released = false;
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(async () => {
        if (released || lost.signal.aborted) return;
        try {
          revision = await kv.update(key, value, revision);
        } catch (err) {
          if (released) return;
          if (isRevisionConflict(err)) {
            log.warn({ lease: key }, 'BMC lease was taken over while held (renewal came too late); stopping work');
            lost.abort(new PowerError(PowerErrorCode.leaseLost, `lease ${key} lost`));
          } else {
            // A NATS hiccup: keep working and try again at the next tick; the TTL is three ticks long.
            log.warn({ lease: key, err }, 'BMC lease renewal failed; retrying');
          }
        }
      });
    }, renewMs);
    timer.unref();
    return {
      key,
      lost: lost.signal,
      async release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        await renewing;
        if (lost.signal.aborted) return;
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
        try {
          const revision = await kv.create(key, value);
          return hold(key, value, revision);
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
