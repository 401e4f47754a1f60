import type { Bus } from '@metalbus/bus';
import type { PowerRecord, PowerRequestedEvent } from '@metalbus/events';
import type { Outcome, RequestRecord } from './request-log.js';

/** Publishes a command's outcome as `power.completed` (the bus derives Nats-Msg-Id from the requestId). */
export async function publishCompleted(
  bus: Pick<Bus, 'publish'>,
  cmd: Pick<PowerRequestedEvent, 'machineId' | 'requestId' | 'action'>,
  outcome: Outcome,
  replay: { seq: number } | null,
): Promise<void> {
  await bus.publish(
    'power.completed',
    {
      schema: 1,
      machineId: cmd.machineId,
      at: outcome.at,
      requestId: cmd.requestId,
      action: cmd.action,
      outcome: outcome.outcome,
      error: outcome.error,
      observed: outcome.observed,
      driver: outcome.driver,
      durationMs: outcome.durationMs,
      attempts: outcome.attempts,
      replayed: replay !== null,
    },
    // A replay must not be swallowed by the dedup window of the original outcome; per delivered message it is.
    replay === null ? undefined : { msgId: `power.completed:${cmd.requestId}:replay:${replay.seq}` },
  );
}

/** The `lastCommand` part of the machine's `power` record. */
export function lastCommandOf(cmd: PowerRequestedEvent, outcome: Outcome): NonNullable<PowerRecord['lastCommand']> {
  return {
    requestId: cmd.requestId,
    action: cmd.action,
    bootDevice: cmd.bootDevice,
    bootFirmware: cmd.bootFirmware,
    outcome: outcome.outcome,
    error: outcome.error,
    at: outcome.at,
  };
}

/** The final request record of a command. */
export function doneRecord(cmd: PowerRequestedEvent, outcome: Outcome, replica: string): RequestRecord {
  return {
    requestId: cmd.requestId,
    machineId: cmd.machineId,
    action: cmd.action,
    phase: 'done',
    replica,
    updatedAt: outcome.at,
    outcome,
  };
}
