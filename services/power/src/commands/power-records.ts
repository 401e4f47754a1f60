import { powerRecordSchema, type ErrorInfo, type PowerRecord, type PowerState } from '@metalbus/events';
import type { KV } from '@nats-io/kv';
import type { Bus } from '@metalbus/bus';
import type { PowerMetrics } from './metrics.js';

export type Observation = {
  machineId: string;
  state: PowerState;
  driver: string | null;
  /** The command outcome to record as lastCommand; undefined keeps the previous one (polls). */
  lastCommand?: PowerRecord['lastCommand'];
  /** The error of this observation, or null when the BMC answered. */
  error: ErrorInfo | null;
  source: 'poll' | 'command';
};

export type PowerRecords = {
  /** The machine's `power` record as stored now (not the view: this runs under the BMC lease, fresh matters). */
  get(machineId: string): Promise<PowerRecord | null>;
  /** Writes the record and publishes `power.changed` when the state differs from the stored one. */
  observe(o: Observation): Promise<{ previous: PowerState | null; changed: boolean }>;
};

/**
 * The `power` bucket (owner: power) and the `power.changed` event. Callers hold the BMC lease, so for one
 * machine only one replica writes at a time.
 */
export function createPowerRecords(bus: Pick<Bus, 'publish'>, kv: KV, metrics: PowerMetrics): PowerRecords {
  const get = async (machineId: string): Promise<PowerRecord | null> => {
    const e = await kv.get(machineId);
    if (e === null || e.operation !== 'PUT') return null;
    const parsed = powerRecordSchema.safeParse(e.json<unknown>());
    return parsed.success ? parsed.data : null;
  };
  return {
    get,
    async observe(o) {
      const stored = await get(o.machineId);
      const now = new Date().toISOString();
      const record: PowerRecord = {
        machineId: o.machineId,
        state: o.state,
        observedAt: now,
        driver: o.driver ?? stored?.driver ?? null,
        lastCommand: o.lastCommand === undefined ? (stored?.lastCommand ?? null) : o.lastCommand,
        lastError: o.error,
      };
      await kv.put(o.machineId, JSON.stringify(powerRecordSchema.parse(record)));
      const previous = stored?.state ?? null;
      const changed = previous !== o.state;
      if (changed) {
        metrics.stateChanges.inc({ source: o.source, state: o.state });
        await bus.publish('power.changed', {
          schema: 1,
          machineId: o.machineId,
          at: now,
          state: o.state,
          previous,
          source: o.source,
        });
      }
      return { previous, changed };
    },
  };
}
