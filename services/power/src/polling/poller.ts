import type { View } from '@metalbus/bus';
import type { BmcRecord, PowerRecord } from '@metalbus/events';
import type { Logger } from 'pino';
import { recordFingerprint, type DriverPool } from '../commands/driver-pool.js';
import type { PowerMetrics } from '../commands/metrics.js';
import type { PowerRecords } from '../commands/power-records.js';
import type { CredentialOpener } from '../credentials/open-bmc.js';
import { BmcError } from '../drivers/driver.js';
import { bmcIdentity } from '../leases/bmc-identity.js';
import type { LeaseStore } from '../leases/bmc-leases.js';
import type { KeyedQueue } from '../leases/local-queue.js';
import { dueAt, selectDue, type PollCandidate } from './due.js';

/** What one poll did: `lease`/`busy` = the BMC was busy elsewhere/here, `fresh` = another replica just polled. */
export type PollResult = 'ok' | 'error' | 'credentials' | 'lease' | 'busy' | 'fresh' | 'gone';

export type PollerDeps = {
  bmcs: Pick<View<BmcRecord>, 'get' | 'entries'>;
  powerView: Pick<View<PowerRecord>, 'get'>;
  leases: LeaseStore;
  queue: KeyedQueue;
  pool: DriverPool;
  opener: CredentialOpener;
  records: PowerRecords;
  metrics: PowerMetrics;
  logger: Logger;
  replica: string;
  intervalMs: number;
  concurrency: number;
  callTimeoutMs: number;
  stopping: AbortSignal;
  now?: () => number;
  random?: () => number;
};

export type Poller = {
  start(): void;
  /** Polls every known BMC now (bounded concurrency), due or not; for tests and diagnostics. */
  pollAll(): Promise<Record<string, PollResult>>;
  stop(): Promise<void>;
};

/**
 * Observes the power state of every BMC in the `bmcs` view on an interval. Replicas coordinate without knowing
 * each other: a machine is due when the shared `power` record's observedAt is older than the interval (any
 * replica's poll or command refreshes it), and a poll runs under the same per-BMC lease as commands, so two
 * replicas never poll one BMC together and a BMC with a command in flight anywhere is skipped.
 */
export function createPoller(deps: PollerDeps): Poller {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const log = deps.logger.child({ module: 'polling' });
  const draws = new Map<string, { observedAt: number | null; r: number }>();
  const running = new Map<string, Promise<PollResult>>();
  const credentialWarned = new Set<string>();
  const tickMs = Math.min(5_000, Math.max(200, Math.floor(deps.intervalMs / 10)));
  let timer: NodeJS.Timeout | null = null;

  const observedAt = (machineId: string): number | null => {
    const at = deps.powerView.get(machineId)?.observedAt;
    return at === undefined ? null : Date.parse(at);
  };

  function candidates(): (PollCandidate & { dueAt: number })[] {
    const out: (PollCandidate & { dueAt: number })[] = [];
    for (const [machineId, record] of deps.bmcs.entries()) {
      const seen = observedAt(machineId);
      let draw = draws.get(machineId);
      if (draw === undefined || draw.observedAt !== seen) {
        draw = { observedAt: seen, r: random() };
        draws.set(machineId, draw);
      }
      const bmcKey = bmcIdentity(record).key;
      out.push({ machineId, bmcKey, observedAt: seen, dueAt: dueAt(seen, deps.intervalMs, draw.r) });
    }
    for (const id of draws.keys()) if (deps.bmcs.get(id) === undefined) draws.delete(id);
    return out;
  }

  async function pollOne(c: PollCandidate, force: boolean): Promise<PollResult> {
    const record = deps.bmcs.get(c.machineId);
    if (record === undefined) return 'gone';
    const identity = bmcIdentity(record);
    const ran = deps.queue.tryRun(identity.key, async (): Promise<PollResult> => {
      const opened = deps.opener.open(record);
      if (!opened.ok) {
        deps.metrics.polls.inc({ driver: 'none', result: 'credentials' });
        if (!credentialWarned.has(c.machineId)) {
          credentialWarned.add(c.machineId);
          log.error({ machineId: c.machineId, error: opened.error.message }, 'cannot poll: BMC credentials unusable');
        }
        return 'credentials';
      }
      credentialWarned.delete(c.machineId);
      const lease = await deps.leases.acquire(
        identity.key,
        { replica: deps.replica, purpose: 'poll', machineId: c.machineId, requestId: null, bmc: identity.display },
        { waitMs: 0, signal: deps.stopping },
      );
      if (lease === null) {
        deps.metrics.leaseBusy.inc({ purpose: 'poll' });
        return 'lease';
      }
      try {
        // Another replica (or a command) may have observed it since we picked it.
        const latest = observedAt(c.machineId);
        if (!force && latest !== null && latest !== c.observedAt && now() - latest < deps.intervalMs / 2) {
          return 'fresh';
        }
        const signal = AbortSignal.any([deps.stopping, lease.lost, AbortSignal.timeout(deps.callTimeoutMs)]);
        const dl = await deps.pool.acquire(opened.value, recordFingerprint(record), signal);
        let state: PowerRecord['state'] = 'unknown';
        let error: { code: string; message: string } | null = null;
        try {
          state = await dl.driver.status(signal);
          dl.release(false);
        } catch (err) {
          dl.release(true);
          if (!(err instanceof BmcError) || deps.stopping.aborted || lease.lost.aborted) throw err;
          error = { code: err.code, message: err.message };
          deps.metrics.bmcErrors.inc({ driver: dl.driver.kind, code: err.code });
        }
        deps.metrics.polls.inc({ driver: dl.driver.kind, result: error === null ? 'ok' : 'error' });
        const { changed, previous } = await deps.records.observe({
          machineId: c.machineId,
          state,
          driver: dl.driver.kind,
          error,
          source: 'poll',
        });
        if (changed)
          log.info({ machineId: c.machineId, state, previous, error: error ?? undefined }, 'power state changed');
        return error === null ? 'ok' : 'error';
      } finally {
        await lease.release();
      }
    });
    return ran ?? 'busy';
  }

  function launch(c: PollCandidate, force: boolean): Promise<PollResult> {
    const p = pollOne(c, force)
      .catch((err: unknown): PollResult => {
        if (deps.stopping.aborted) return 'busy';
        if (err instanceof BmcError) {
          deps.metrics.bmcErrors.inc({ driver: 'probe', code: err.code });
          return 'error';
        }
        log.warn({ machineId: c.machineId, err }, 'poll failed');
        return 'error';
      })
      .finally(() => running.delete(c.bmcKey));
    running.set(c.bmcKey, p);
    return p;
  }

  function tick(): void {
    if (deps.stopping.aborted) return;
    const free = deps.concurrency - running.size;
    const due = selectDue(candidates(), now(), (k) => running.has(k) || deps.queue.busy(k), free);
    for (const c of due) void launch(c, false);
  }

  return {
    start() {
      if (timer !== null || deps.intervalMs <= 0) return;
      timer = setInterval(tick, tickMs);
      timer.unref();
      tick();
    },
    async pollAll() {
      const results: Record<string, PollResult> = {};
      const all = candidates();
      let next = 0;
      const worker = async () => {
        while (next < all.length && !deps.stopping.aborted) {
          const c = all[next++] as PollCandidate;
          await running.get(c.bmcKey);
          results[c.machineId] = await launch(c, true);
        }
      };
      await Promise.all(Array.from({ length: Math.min(deps.concurrency, all.length) }, worker));
      return results;
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await Promise.allSettled([...running.values()]);
    },
  };
}
