import { busReadiness, connectBus, provision, type Bus, type BusConfig, type View } from '@metalbus/bus';
import {
  createLogger,
  createRegistry,
  startOpsServer,
  startTracing,
  type Logger,
  type OpsServer,
  type ReadinessCheck,
  type TelemetryConfig,
  type Tracing,
} from '@metalbus/telemetry';
import type { Registry } from 'prom-client';

/** What a service's `create…()` factory gets: its config plus the shared plumbing. */
export type ServiceContext<C> = {
  config: C;
  bus: Bus;
  logger: Logger;
  registry: Registry;
};

/** What a service's factory returns. */
export type ServiceHandle = {
  /** What listens where, for the "ready" line, e.g. `{ http: 'http://0.0.0.0:8080' }`. */
  listening: Record<string, string>;
  /** KV views the service needs before it is ready (bootstrapped) — added to /readyz. */
  views?: readonly View<unknown>[];
  /** Extra readiness checks (cheap, synchronous). */
  readiness?: () => ReadinessCheck[];
  /** Close listeners and stop consumers; the runtime drains NATS afterwards. */
  stop(): Promise<void>;
};

export type RunningService = {
  readonly logger: Logger;
  readonly ops: OpsServer;
  readonly handle: ServiceHandle;
  /** Stop everything in order: service, ops listener, NATS (drain), tracing. Idempotent. */
  stop(): Promise<void>;
};

/** Connect, provision, create the service, open the ops listener and log one "ready" line. */
export async function startService<C extends BusConfig & TelemetryConfig>(opts: {
  name: string;
  config: C;
  create: (ctx: ServiceContext<C>) => Promise<ServiceHandle>;
}): Promise<RunningService> {
  const { name, config } = opts;
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const tracing: Tracing = startTracing({
    service: config.OTEL_SERVICE_NAME ?? `metalbus-${name}`,
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined && { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT }),
  });
  const registry = createRegistry(name);
  const bus = await connectBus(config, { name, logger, registry });
  await provision(bus);
  const handle = await opts.create({ config, bus, logger, registry });
  const ops = await startOpsServer({
    address: config.OPS_ADDRESS,
    port: config.OPS_PORT,
    registry,
    logger,
    readiness: () => [...busReadiness(bus, handle.views ?? []), ...(handle.readiness?.() ?? [])],
  });
  logger.info({ listening: { ...handle.listening, ops: ops.url }, nats: bus.status().server }, `${name} ready`);

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await settle(logger, 'service', handle.stop());
      await settle(logger, 'ops listener', ops.close());
      await settle(logger, 'nats drain', bus.drain());
      await settle(logger, 'tracing', tracing.shutdown());
    })());
  return { logger, ops, handle, stop };
}

async function settle(logger: Logger, what: string, p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (err) {
    logger.warn({ err }, `stopping ${what} failed`);
  }
}
