import type { Bus, ConsumerMessage, HandlerResult, View } from '@metalbus/bus';
import type { BmcRecord, BootFirmware, ErrorInfo, PowerRecord, PowerRequestedEvent } from '@metalbus/events';
import type { Logger } from 'pino';
import type { CredentialOpener } from '../credentials/open-bmc.js';
import { bmcIdentity } from '../leases/bmc-identity.js';
import type { LeaseStore } from '../leases/bmc-leases.js';
import type { KeyedQueue } from '../leases/local-queue.js';
import { admit, resumePlan, type Admission } from './decide.js';
import { recordFingerprint, type DriverPool } from './driver-pool.js';
import { PowerError, PowerErrorCode } from './errors.js';
import { driveBmc } from './drive-bmc.js';
import type { ExecuteSettings } from './execute.js';
import type { PowerMetrics } from './metrics.js';
import { doneRecord, lastCommandOf, publishCompleted } from './outcomes.js';
import type { PowerRecords } from './power-records.js';
import type { Outcome, RequestLog, RequestRecord, StoredRequest } from './request-log.js';

export type CommandSettings = ExecuteSettings & {
  ackWaitMs: number;
  leaseWaitMs: number;
  commandTimeoutMs: number;
  maxAgeMs: number;
  defaultFirmware: BootFirmware;
};

export type CommandHandlerDeps = {
  bus: Pick<Bus, 'publish'>;
  bmcs: Pick<View<BmcRecord>, 'get'>;
  powerView: Pick<View<PowerRecord>, 'get'>;
  requests: RequestLog;
  leases: LeaseStore;
  records: PowerRecords;
  queue: KeyedQueue;
  pool: DriverPool;
  opener: CredentialOpener;
  metrics: PowerMetrics;
  logger: Logger;
  replica: string;
  settings: CommandSettings;
  /** Aborted when the service stops: running commands are handed back to the stream. */
  stopping: AbortSignal;
  now?: () => number;
};

type Cmd = PowerRequestedEvent;

/**
 * The `power.requested` handler: idempotency by requestId, admission (deadline, unknown machine, credentials),
 * per-BMC serialisation (local FIFO, then the fleet-wide lease), execution, and the outcome: request record,
 * `power` record, `power.changed`, `power.completed`. Returns ack once the outcome is recorded and published,
 * nak when the BMC is busy elsewhere or the service stops.
 */
export function createCommandHandler(deps: CommandHandlerDeps) {
  const { settings, metrics, requests } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ module: 'commands' });

  const observedOf = (machineId: string) => deps.powerView.get(machineId)?.state ?? 'unknown';

  async function replay(cmd: Cmd, record: RequestRecord, seq: number): Promise<HandlerResult> {
    if (record.outcome === null) throw new Error('replay of a record without outcome');
    metrics.replayed.inc({ action: cmd.action });
    log.info({ machineId: cmd.machineId, requestId: cmd.requestId, seq }, 'command already done: outcome replayed');
    await publishCompleted(deps.bus, cmd, record.outcome, { seq });
    return { ack: true };
  }

  function count(cmd: Cmd, outcome: Outcome): void {
    metrics.commands.inc({ driver: outcome.driver ?? 'none', action: cmd.action, outcome: outcome.outcome });
    metrics.duration.observe({ driver: outcome.driver ?? 'none', action: cmd.action }, outcome.durationMs / 1000);
    const level = outcome.outcome === 'ok' ? 'info' : 'warn';
    log[level](
      {
        machineId: cmd.machineId,
        requestId: cmd.requestId,
        action: cmd.action,
        outcome: outcome.outcome,
        error: outcome.error ?? undefined,
        observed: outcome.observed,
        driver: outcome.driver,
        durationMs: outcome.durationMs,
        attempts: outcome.attempts,
      },
      'power command finished',
    );
  }

  /** Outcomes that need no BMC (expired, unknown machine, unusable credentials): recorded by compare-and-set. */
  async function finishWithoutBmc(
    cmd: Cmd,
    seq: number,
    started: number,
    stored: StoredRequest | null,
    outcome: 'expired' | 'rejected' | 'error',
    error: ErrorInfo,
  ): Promise<HandlerResult> {
    const o: Outcome = {
      outcome,
      error,
      observed: observedOf(cmd.machineId),
      driver: null,
      durationMs: now() - started,
      attempts: 0,
      at: new Date(now()).toISOString(),
    };
    const w = await requests.write(doneRecord(cmd, o, deps.replica), stored?.revision ?? null);
    if (!w.ok) {
      if (w.current?.record.phase === 'done') return replay(cmd, w.current.record, seq);
      return { nak: 500 }; // a replica is working on it right now: ask again later
    }
    count(cmd, o);
    await publishCompleted(deps.bus, cmd, o, null);
    return { ack: true };
  }

  async function underLease(
    cmd: Cmd,
    seq: number,
    started: number,
    record: BmcRecord,
    opened: Parameters<DriverPool['acquire']>[0],
  ): Promise<HandlerResult> {
    const identity = bmcIdentity(record);
    const lease = await deps.leases.acquire(
      identity.key,
      {
        replica: deps.replica,
        purpose: 'command',
        machineId: cmd.machineId,
        requestId: cmd.requestId,
        bmc: identity.display,
      },
      { waitMs: settings.leaseWaitMs, signal: deps.stopping },
    );
    if (lease === null) {
      metrics.leaseBusy.inc({ purpose: 'command' });
      return { nak: 500 + Math.floor(Math.random() * 500) };
    }
    try {
      const stored = await requests.get(cmd.machineId, cmd.requestId);
      if (stored?.record.phase === 'done') return await replay(cmd, stored.record, seq);
      const phase = stored?.record.phase ?? null;
      const admission: Admission = admit(cmd, true, phase, {
        now: now(),
        maxAgeMs: settings.maxAgeMs,
        timeoutMs: settings.commandTimeoutMs,
      });
      if (admission.kind !== 'run') {
        return await finishWithoutBmc(cmd, seq, started, stored, admission.kind, admission.error);
      }
      const plan = resumePlan(cmd.action, phase, admission.pastDeadline);
      if (phase !== null)
        log.info(
          { machineId: cmd.machineId, requestId: cmd.requestId, phase, plan },
          'resuming a command a replica left unfinished',
        );

      const driven = await driveBmc(
        {
          cmd,
          bmc: opened,
          fingerprint: recordFingerprint(record),
          plan,
          budgetEnd: admission.budgetEnd,
          revision: stored?.revision ?? null,
          signal: AbortSignal.any([deps.stopping, lease.lost]),
        },
        { ...deps, settings, now },
      );
      if (driven.kind === 'taken') {
        if (driven.current?.record.phase === 'done') return await replay(cmd, driven.current.record, seq);
        throw new PowerError(PowerErrorCode.leaseLost, 'request record changed under the lease');
      }
      const { result, driver: driverKind, revision } = driven;

      const outcome: Outcome = {
        outcome: result.outcome,
        error: result.error,
        observed: result.observed,
        driver: driverKind,
        durationMs: now() - started,
        attempts: result.attempts,
        at: new Date(now()).toISOString(),
      };
      const w = await requests.write(doneRecord(cmd, outcome, deps.replica), revision);
      if (!w.ok) {
        if (w.current?.record.phase === 'done') return await replay(cmd, w.current.record, seq);
        throw new PowerError(PowerErrorCode.leaseLost, 'request record changed under the lease');
      }
      await deps.records.observe({
        machineId: cmd.machineId,
        state: outcome.observed,
        driver: driverKind,
        lastCommand: lastCommandOf(cmd, outcome),
        error: outcome.error,
        source: 'command',
      });
      count(cmd, outcome);
      await publishCompleted(deps.bus, cmd, outcome, null);
      return { ack: true };
    } finally {
      await lease.release();
    }
  }

  async function handle(msg: ConsumerMessage<'power.requested'>, started: number): Promise<HandlerResult> {
    const cmd = msg.event;
    const stored = await requests.get(cmd.machineId, cmd.requestId);
    if (stored?.record.phase === 'done') return replay(cmd, stored.record, msg.seq);
    const record = deps.bmcs.get(cmd.machineId) ?? null;
    const admission = admit(cmd, record !== null, stored?.record.phase ?? null, {
      now: now(),
      maxAgeMs: settings.maxAgeMs,
      timeoutMs: settings.commandTimeoutMs,
    });
    if (admission.kind !== 'run') {
      return finishWithoutBmc(cmd, msg.seq, started, stored, admission.kind, admission.error);
    }
    if (record === null) throw new Error('admitted a command without a bmcs record');
    const opened = deps.opener.open(record);
    if (!opened.ok) return finishWithoutBmc(cmd, msg.seq, started, stored, 'error', opened.error);
    return deps.queue.run(
      bmcIdentity(record).key,
      () => underLease(cmd, msg.seq, started, record, opened.value),
      deps.stopping,
    );
  }

  return async function handleCommand(msg: ConsumerMessage<'power.requested'>): Promise<HandlerResult> {
    const started = now();
    metrics.inFlight.inc();
    // Keep the message ours while it waits for its BMC or runs long: +WIP restarts the ack wait.
    const keepAlive = setInterval(() => msg.working(), Math.max(250, Math.floor(settings.ackWaitMs / 3)));
    keepAlive.unref();
    try {
      return await handle(msg, started);
    } catch (err) {
      if (deps.stopping.aborted || (err instanceof PowerError && err.code === PowerErrorCode.leaseLost)) {
        log.info(
          {
            machineId: msg.event.machineId,
            requestId: msg.event.requestId,
            reason: deps.stopping.aborted ? 'stopping' : 'lease lost',
          },
          'command handed back for redelivery',
        );
        return { nak: 0 };
      }
      throw err; // NATS trouble: the consumer naks with back-off
    } finally {
      clearInterval(keepAlive);
      metrics.inFlight.dec();
    }
  };
}
