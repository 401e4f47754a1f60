import { createHash } from 'node:crypto';
import type { BmcRecord } from '@metalbus/events';
import type { Logger } from 'pino';
import type { PowerDriver } from '../drivers/driver.js';
import type { DriverChooser, OpenedBmc } from '../drivers/probe.js';

export type DriverLease = {
  readonly driver: PowerDriver;
  /** Hand the driver back; `broken` closes it so the next user starts with a fresh session. */
  release(broken: boolean): void;
};

export type DriverPool = {
  /** The machine's driver, reused while its record is unchanged (IPMI sessions, Redfish paths stay warm). */
  acquire(bmc: OpenedBmc, fingerprint: string, signal: AbortSignal): Promise<DriverLease>;
  /** Closes and forgets the machine's driver (record deleted or changed). */
  forget(machineId: string): Promise<void>;
  closeAll(): Promise<void>;
  readonly size: number;
};

/** A stable digest of a stored `bmcs` record: a changed record (address, driver, password…) gets a new driver. */
export function recordFingerprint(record: BmcRecord): string {
  return createHash('sha256').update(JSON.stringify(record)).digest('hex');
}

type Entry = { fingerprint: string; driver: PowerDriver; users: number; lastUsed: number; broken: boolean };

/**
 * One driver per machine, created through the chooser on first use and closed after `idleMs` without use.
 * Callers serialise per BMC already (queue + lease), so an entry normally has one user at a time.
 */
export function createDriverPool(opts: {
  chooser: DriverChooser;
  idleMs: number;
  logger: Logger;
  now?: () => number;
}): DriverPool {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const closeQuietly = (machineId: string, d: PowerDriver) =>
    d.close().catch((err: unknown) => opts.logger.debug({ machineId, err }, 'closing a BMC driver failed'));

  const sweeper = setInterval(
    () => {
      const cutoff = now() - opts.idleMs;
      for (const [machineId, e] of entries) {
        if (e.users === 0 && e.lastUsed < cutoff) {
          entries.delete(machineId);
          void closeQuietly(machineId, e.driver);
        }
      }
    },
    Math.max(1_000, Math.floor(opts.idleMs / 2)),
  );
  sweeper.unref();

  return {
    async acquire(bmc, fingerprint, signal) {
      let e = entries.get(bmc.machineId);
      if (e !== undefined && (e.fingerprint !== fingerprint || e.broken) && e.users === 0) {
        entries.delete(bmc.machineId);
        void closeQuietly(bmc.machineId, e.driver);
        e = undefined;
      }
      if (e === undefined || e.fingerprint !== fingerprint || e.broken) {
        const driver = await opts.chooser.choose(bmc, signal);
        const fresh: Entry = { fingerprint, driver, users: 0, lastUsed: now(), broken: false };
        // A concurrent user of an outdated entry keeps it until release; the new one replaces it in the map.
        entries.set(bmc.machineId, fresh);
        e = fresh;
      }
      const entry = e;
      entry.users++;
      let released = false;
      return {
        driver: entry.driver,
        release(broken) {
          if (released) return;
          released = true;
          entry.users--;
          entry.lastUsed = now();
          if (broken) entry.broken = true;
          const current = entries.get(bmc.machineId) === entry;
          if (entry.users === 0 && (entry.broken || !current)) {
            if (current) entries.delete(bmc.machineId);
            void closeQuietly(bmc.machineId, entry.driver);
          }
        },
      };
    },
    async forget(machineId) {
      const e = entries.get(machineId);
      if (e === undefined) return;
      entries.delete(machineId);
      if (e.users === 0) await closeQuietly(machineId, e.driver);
      else e.broken = true;
    },
    async closeAll() {
      clearInterval(sweeper);
      const all = [...entries];
      entries.clear();
      await Promise.all(all.map(([machineId, e]) => closeQuietly(machineId, e.driver)));
    },
    get size() {
      return entries.size;
    },
  };
}
