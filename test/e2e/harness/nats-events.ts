import { busConfigSchema, connectBus, type Bus } from '@metalbus/bus';
import { createLogger } from '@metalbus/telemetry';
import { createEventLog, type EventRecorder } from './events.js';

// The test process's own NATS client: it plays the operator (`nats sub 'machine.>'`) and, where a scenario needs
// it, omni-bridge (writing a boot intent). It reaches the namespace's NATS through the run's uplink.

/** A bus connection with the same wiring the services use (names, KV, provisioning), logging nothing. */
export async function connectTestBus(url: string): Promise<Bus> {
  const config = busConfigSchema.parse({ NATS_URL: url });
  const logger = createLogger({ service: 'e2e-test', level: 'silent', pretty: false });
  return connectBus(config, { name: 'metalbus-e2e-test', logger });
}

const decoder = new TextDecoder();

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data)) as unknown;
  } catch {
    // Kept as text: the trace then shows the event as invalid instead of losing it.
    return decoder.decode(data);
  }
}

/**
 * Subscribe to every `machine.>` subject and log each message in arrival order, with its `traceparent` header.
 * Resolves once the server has the subscription (flush), so nothing published afterwards can be missed.
 */
export async function recordMachineEvents(bus: Bus): Promise<EventRecorder> {
  const log = createEventLog();
  const sub = bus.nc.subscribe(bus.names.pattern('all'));
  const loop = (async () => {
    for await (const m of sub) {
      const traceparent = m.headers?.get('traceparent');
      log.record({
        subject: bus.names.local(m.subject) ?? m.subject,
        data: parseJson(m.data),
        traceparent: traceparent === undefined || traceparent === '' ? undefined : traceparent,
      });
    }
  })();
  await bus.nc.flush();
  let stopped: Promise<void> | undefined;
  return {
    events: log.events,
    waitFor: log.waitFor,
    stop: () =>
      (stopped ??= (async () => {
        if (!sub.isClosed()) await sub.drain();
        await loop;
      })()),
  };
}
