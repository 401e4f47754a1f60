import type { BootFirmware, PowerRequestedEvent } from '@metalbus/events';
import { BmcError } from '../drivers/driver.js';
import type { OpenedBmc } from '../drivers/probe.js';
import type { ResumePlan } from './decide.js';
import type { DriverPool } from './driver-pool.js';
import { executeCommand, type ExecuteResult, type ExecuteSettings } from './execute.js';
import type { PowerMetrics } from './metrics.js';
import type { RequestLog, StoredRequest } from './request-log.js';
import { sleep } from './sleep.js';

export type Driven =
  | { kind: 'result'; result: ExecuteResult; driver: string | null; revision: number | null }
  /** Another writer recorded the command while we held the lease (only a no-BMC outcome can): use theirs. */
  | { kind: 'taken'; current: StoredRequest | null };

export type DriveInput = {
  cmd: PowerRequestedEvent;
  bmc: OpenedBmc;
  fingerprint: string;
  plan: ResumePlan;
  budgetEnd: number;
  /** The request record's revision as read under the lease (null: none yet). */
  revision: number | null;
  signal: AbortSignal;
};

export type DriveDeps = {
  pool: DriverPool;
  requests: RequestLog;
  metrics: PowerMetrics;
  replica: string;
  settings: ExecuteSettings & { defaultFirmware: BootFirmware };
  now: () => number;
};

class RecordTaken extends Error {
  constructor(readonly current: StoredRequest | null) {
    super('request record changed under the lease');
  }
}

/**
 * Runs one command on its BMC under the lease: borrows the machine's driver, keeps the phase marker in the
 * request record by compare-and-set (so a record written behind our back stops us before anything is sent),
 * and returns the execution result. A driver that cannot even be built (a Redfish probe that timed out) is an
 * error result too.
 */
export async function driveBmc(input: DriveInput, deps: DriveDeps): Promise<Driven> {
  const { cmd } = input;
  let revision = input.revision;
  const markPhase = async (phase: 'sending' | 'sent') => {
    const w = await deps.requests.write(
      {
        requestId: cmd.requestId,
        machineId: cmd.machineId,
        action: cmd.action,
        phase,
        replica: deps.replica,
        updatedAt: new Date(deps.now()).toISOString(),
        outcome: null,
      },
      revision,
    );
    if (!w.ok) throw new RecordTaken(w.current);
    revision = w.revision;
  };

  let driver: string | null = null;
  try {
    const lease = await deps.pool.acquire(input.bmc, input.fingerprint, input.signal);
    driver = lease.driver.kind;
    let broken = true;
    try {
      const result = await executeCommand(
        {
          action: cmd.action,
          bootDevice: cmd.bootDevice,
          bootFirmware: cmd.bootFirmware ?? deps.settings.defaultFirmware,
          plan: input.plan,
          budgetEnd: input.budgetEnd,
          signal: input.signal,
        },
        {
          driver: lease.driver,
          markPhase,
          onBmcError: (e) => deps.metrics.bmcErrors.inc({ driver: lease.driver.kind, code: e.code }),
          settings: deps.settings,
          now: deps.now,
          sleep,
        },
      );
      broken = result.outcome !== 'ok';
      return { kind: 'result', result, driver, revision };
    } finally {
      lease.release(broken);
    }
  } catch (err) {
    if (err instanceof RecordTaken) return { kind: 'taken', current: err.current };
    if (!(err instanceof BmcError) || input.signal.aborted) throw err;
    deps.metrics.bmcErrors.inc({ driver: 'probe', code: err.code });
    const result: ExecuteResult = {
      outcome: 'error',
      error: { code: err.code, message: err.message },
      observed: 'unknown',
      attempts: 1,
      step: null,
    };
    return { kind: 'result', result, driver, revision };
  }
}
