import { randomUUID } from 'node:crypto';
import { connectBus, provision, type Bus } from '@metalbus/bus';
import {
  decodeEvent,
  type BmcRecordInput,
  type EventInput,
  type PowerChangedEvent,
  type PowerCompletedEvent,
} from '@metalbus/events';
import { createLogger, type Logger } from '@metalbus/telemetry';
import { freshNamespace, waitFor, type NatsServer } from '@metalbus/testing';
import { Registry } from 'prom-client';
import { loadConfig, type PowerConfig } from '../../src/config.js';
import { createPower, type PowerService } from '../../src/service.js';

export type LogLine = { level: number; msg: string } & Record<string, unknown>;

/** A JSON logger whose lines land in `lines` (parsed); level warn unless asked. */
export function memoryLogger(level: 'debug' | 'info' | 'warn' = 'warn'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    service: 'power-test',
    level,
    pretty: false,
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) },
  });
  return { logger, lines };
}

export type Replica = PowerService & { bus: Bus; registry: Registry; lines: LogLine[]; close(): Promise<void> };

export type Harness = {
  readonly namespace: string;
  /** NATS_URL and NATS_NAMESPACE of this harness, for child processes. */
  readonly env: Record<string, string>;
  readonly bus: Bus;
  readonly completed: PowerCompletedEvent[];
  readonly changed: PowerChangedEvent[];
  /** Starts a power replica in this process (fast test defaults, overridable by env). */
  replica(env?: Record<string, string>): Promise<Replica>;
  putBmc(record: Omit<BmcRecordInput, 'updatedAt'>): Promise<void>;
  /** Publishes a command; returns its requestId. */
  command(machineId: string, fields?: Partial<EventInput<'power.requested'>>, msgId?: string): Promise<string>;
  /** The first non-replayed outcome of `requestId`. */
  outcome(requestId: string, timeoutMs?: number): Promise<PowerCompletedEvent>;
  kvGet(bucket: string, key: string): Promise<unknown>;
  close(): Promise<void>;
};

/** Test defaults: no polling, short waits; everything else as in production. */
export const FAST_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  POLL_INTERVAL_S: '0',
  LEASE_TTL_S: '3',
  LEASE_WAIT_MS: '200',
  COMMAND_ACK_WAIT_S: '3',
  READBACK_INTERVAL_MS: '100',
  RETRY_BACKOFF_MS: '100',
  BMC_CALL_TIMEOUT_MS: '5000',
  COMMAND_TIMEOUT_MS: '20000',
  OPS_PORT: '0',
};

export function configFor(env: Record<string, string>): PowerConfig {
  const outcome = loadConfig([], env);
  if (outcome.action !== 'run') throw new Error(outcome.text);
  return outcome.config;
}

/** A fresh namespace on `nats`, a test bus, and collectors of power.completed / power.changed. */
export async function startHarness(nats: NatsServer): Promise<Harness> {
  const namespace = freshNamespace();
  const env = { NATS_URL: nats.url, NATS_NAMESPACE: namespace };
  const bus = await connectBus(env, { name: 'power-test', logger: memoryLogger().logger });
  await provision(bus);
  const completed: PowerCompletedEvent[] = [];
  const changed: PowerChangedEvent[] = [];
  const sub = bus.nc.subscribe(bus.names.qualify('machine.power.>'));
  void (async () => {
    for await (const m of sub) {
      const local = bus.names.local(m.subject);
      const d = local === null ? null : decodeEvent(local, m.data);
      if (d?.ok && d.kind === 'power.completed') completed.push(d.event);
      if (d?.ok && d.kind === 'power.changed') changed.push(d.event);
    }
  })();
  const replicas: Replica[] = [];

  return {
    namespace,
    env,
    bus,
    completed,
    changed,
    async replica(extra = {}) {
      const config = configFor({ ...FAST_ENV, ...env, ...extra });
      const { logger, lines } = memoryLogger(config.LOG_LEVEL === 'info' ? 'info' : 'warn');
      const registry = new Registry();
      const rbus = await connectBus(config, { name: 'power', logger, registry });
      await provision(rbus);
      let svc: PowerService;
      try {
        svc = await createPower({ config, bus: rbus, logger, registry });
      } catch (err) {
        await rbus.drain();
        throw err;
      }
      let closed = false;
      const replica: Replica = Object.assign(svc, {
        bus: rbus,
        registry,
        lines,
        async close() {
          if (closed) return;
          closed = true;
          await svc.stop();
          await rbus.drain();
        },
      });
      replicas.push(replica);
      return replica;
    },
    async putBmc(record) {
      const kv = await bus.kvm.open(bus.names.bucket('bmcs'));
      await kv.put(record.machineId, JSON.stringify({ ...record, updatedAt: new Date().toISOString() }));
    },
    async command(machineId, fields = {}, msgId) {
      const requestId = fields.requestId ?? randomUUID();
      await bus.publish(
        'power.requested',
        {
          schema: 1,
          machineId,
          at: new Date().toISOString(),
          requestId,
          action: 'on',
          requestedBy: 'test',
          ...fields,
        },
        msgId === undefined ? undefined : { msgId },
      );
      return requestId;
    },
    outcome(requestId, timeoutMs = 20_000) {
      return waitFor(() => completed.find((c) => c.requestId === requestId && !c.replayed), {
        timeoutMs,
        what: `power.completed for ${requestId}`,
      });
    },
    async kvGet(bucket, key) {
      const name = namespace === '' ? bucket : `${namespace}-${bucket}`;
      const kv = await bus.kvm.open(name);
      const e = await kv.get(key);
      return e === null || e.operation !== 'PUT' ? undefined : e.json<unknown>();
    },
    async close() {
      for (const r of replicas) await r.close().catch(() => undefined);
      sub.unsubscribe();
      await bus.drain();
    },
  };
}
