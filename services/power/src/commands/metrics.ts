import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The power service's metrics (prefix `metalbus_power_`); the IPMI client registers its own next to them. */
export type PowerMetrics = {
  commands: Counter<'driver' | 'action' | 'outcome'>;
  replayed: Counter<'action'>;
  duration: Histogram<'driver' | 'action'>;
  inFlight: Gauge;
  bmcErrors: Counter<'driver' | 'code'>;
  leaseBusy: Counter<'purpose'>;
  polls: Counter<'driver' | 'result'>;
  stateChanges: Counter<'source' | 'state'>;
};

export function createPowerMetrics(registry: Registry): PowerMetrics {
  const reg = [registry];
  return {
    commands: new Counter({
      name: 'metalbus_power_commands_total',
      help: 'Power commands finished, by driver, action and outcome (ok, error, rejected, expired).',
      labelNames: ['driver', 'action', 'outcome'],
      registers: reg,
    }),
    replayed: new Counter({
      name: 'metalbus_power_commands_replayed_total',
      help: 'Duplicate or redelivered commands answered from their recorded outcome instead of being executed.',
      labelNames: ['action'],
      registers: reg,
    }),
    duration: new Histogram({
      name: 'metalbus_power_command_duration_seconds',
      help: 'Time from taking a command to its outcome (BMC calls, retries and state read-back).',
      labelNames: ['driver', 'action'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: reg,
    }),
    inFlight: new Gauge({
      name: 'metalbus_power_commands_in_flight',
      help: 'Commands taken by this replica and not finished (waiting for their BMC included).',
      registers: reg,
    }),
    bmcErrors: new Counter({
      name: 'metalbus_power_bmc_errors_total',
      help: 'Failed BMC calls (commands and polls), by driver and error kind.',
      labelNames: ['driver', 'code'],
      registers: reg,
    }),
    leaseBusy: new Counter({
      name: 'metalbus_power_lease_busy_total',
      help: 'Times a BMC lease was held elsewhere: commands handed back (nak) or polls skipped.',
      labelNames: ['purpose'],
      registers: reg,
    }),
    polls: new Counter({
      name: 'metalbus_power_polls_total',
      help: 'Power state polls, by driver and result (ok, error, credentials).',
      labelNames: ['driver', 'result'],
      registers: reg,
    }),
    stateChanges: new Counter({
      name: 'metalbus_power_state_changes_total',
      help: 'Observed power state changes published as power.changed, by source and new state.',
      labelNames: ['source', 'state'],
      registers: reg,
    }),
  };
}
