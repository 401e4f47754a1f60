import { Counter, Registry, type CounterConfiguration } from 'prom-client';

/** Counters of the bus library (prefix `metalbus_bus_`), shared by every view and consumer of one Bus. */
export type BusMetrics = {
  published: Counter<'kind'>;
  dropped: Counter<'kind' | 'reason'>;
  viewInvalid: Counter<'bucket'>;
  consumed: Counter<'durable' | 'result'>;
};

export function createBusMetrics(registry: Registry = new Registry()): BusMetrics {
  return {
    published: counter(registry, {
      name: 'metalbus_bus_events_published_total',
      help: 'Events acknowledged by JetStream.',
      labelNames: ['kind'],
    }),
    dropped: counter(registry, {
      name: 'metalbus_bus_events_dropped_total',
      help: 'Events tryPublish dropped, by reason (disconnected, overload, invalid, error).',
      labelNames: ['kind', 'reason'],
    }),
    viewInvalid: counter(registry, {
      name: 'metalbus_bus_view_invalid_total',
      help: 'KV records a view skipped because they failed their schema.',
      labelNames: ['bucket'],
    }),
    consumed: counter(registry, {
      name: 'metalbus_bus_consumer_messages_total',
      help: 'Messages handled by durable consumers, by result (ack, nak, term, error, invalid).',
      labelNames: ['durable', 'result'],
    }),
  };
}

// Two Bus objects may share a registry (a service with two connections, tests): reuse what is registered.
function counter<L extends string>(registry: Registry, config: CounterConfiguration<L>): Counter<L> {
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter({ ...config, registers: [registry] });
}
