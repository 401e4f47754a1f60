import { Counter, type Registry } from 'prom-client';

/**
 * IPMI client metrics. Many drivers (one per BMC) share one registry and one transport, so metrics are fetched
 * from the registry when already registered instead of being registered twice.
 */
export interface IpmiMetrics {
  /** Commands sent inside a session, by command and result (ok, a completion-code class, or an error code). */
  readonly commands: Counter<'command' | 'result'>;
  /** Session establishments by result. */
  readonly sessions: Counter<'result'>;
  /** Datagrams sent again because no answer came within the attempt timeout. */
  readonly retransmits: Counter;
  /** Datagrams that answered nothing we were waiting for, by reason. */
  readonly dropped: Counter<'reason'>;
}

function counter<L extends string>(
  registry: Registry | undefined,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  const existing = registry?.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter<L>({ name, help, labelNames, registers: registry ? [registry] : [] });
}

export function ipmiMetrics(registry: Registry | undefined): IpmiMetrics {
  return {
    commands: counter(
      registry,
      'metalbus_power_ipmi_commands_total',
      'IPMI commands sent in RMCP+ sessions, by command and result.',
      ['command', 'result'],
    ),
    sessions: counter(registry, 'metalbus_power_ipmi_sessions_total', 'RMCP+ session establishments, by result.', [
      'result',
    ]),
    retransmits: counter(
      registry,
      'metalbus_power_ipmi_retransmits_total',
      'IPMI datagrams retransmitted after an attempt timeout.',
      [],
    ),
    dropped: counter(
      registry,
      'metalbus_power_ipmi_dropped_datagrams_total',
      'Received IPMI datagrams that matched no pending request, by reason.',
      ['reason'],
    ),
  };
}
