import { readFileSync } from 'node:fs';
import type { BucketName, EventInput, EventKind } from '@metalbus/events';
import type { Logger } from '@metalbus/telemetry';
import { jetstream, jetstreamManager, type PubAck } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { credsAuthenticator, nkeyAuthenticator, type Status } from '@nats-io/nats-core';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { BusConfig } from './config.js';
import { durableConsumer, type DurableConsumer, type DurableConsumerOptions, type FilterKind } from './consumer.js';
import type { BusCore, BusStatus, PublishOptions } from './core.js';
import { BusError, BusErrorCode } from './errors.js';
import { createBusMetrics } from './metrics.js';
import { createNames } from './names.js';
import { createPublisher } from './publish.js';
import { createView, type View, type ViewOptions } from './view.js';

export type Bus = BusCore & {
  /** Validate, publish through JetStream with trace headers and wait for the PubAck (`duplicate` visible). */
  publish<K extends EventKind>(kind: K, event: EventInput<K>, opts?: PublishOptions): Promise<PubAck>;
  /**
   * Fire-and-forget publish for hot paths: never throws, never makes the caller wait. Returns false when the
   * event was dropped (disconnected, in-flight bound reached, invalid), counted in metalbus_bus_events_dropped_total.
   */
  tryPublish<K extends EventKind>(kind: K, event: EventInput<K>, opts?: PublishOptions): boolean;
  view<S extends z.ZodType>(bucket: BucketName, schema: S, opts?: ViewOptions<z.output<S>>): View<z.output<S>>;
  consumer<F extends FilterKind>(opts: DurableConsumerOptions<F>): Promise<DurableConsumer>;
  /** Waits briefly for in-flight tryPublish acks, then drains and closes the connection. */
  drain(): Promise<void>;
  status(): BusStatus;
};

export type ConnectBusOptions = {
  /** Connection name shown by the server (`nats server report connections`), e.g. the service name. */
  name: string;
  logger: Logger;
  /** Where the bus counters are registered (the service's ops registry). Default: a private registry. */
  registry?: Registry;
  /** Bound of tryPublish calls awaiting their PubAck. Default 1000. */
  maxInFlight?: number;
};

/**
 * NATS connection options from the env config. Pure apart from the creds file, which is re-read on every
 * (re)connect so rotated credentials are picked up.
 */
export function connectionOptions(cfg: BusConfig, name: string): NodeConnectionOptions {
  const servers = cfg.NATS_URL.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const methods = [
    cfg.NATS_CREDS_FILE !== undefined && 'NATS_CREDS_FILE',
    cfg.NATS_NKEY_SEED !== undefined && 'NATS_NKEY_SEED',
    cfg.NATS_TOKEN !== undefined && 'NATS_TOKEN',
    (cfg.NATS_USER !== undefined || cfg.NATS_PASSWORD !== undefined) && 'NATS_USER/NATS_PASSWORD',
  ].filter((m): m is string => m !== false);
  if (methods.length > 1) {
    throw new BusError(BusErrorCode.invalidConfig, `set only one NATS auth method, got ${methods.join(' and ')}`);
  }
  if ((cfg.NATS_USER === undefined) !== (cfg.NATS_PASSWORD === undefined)) {
    throw new BusError(BusErrorCode.invalidConfig, 'NATS_USER and NATS_PASSWORD must be set together');
  }
  if ((cfg.NATS_TLS_CERT === undefined) !== (cfg.NATS_TLS_KEY === undefined)) {
    throw new BusError(BusErrorCode.invalidConfig, 'NATS_TLS_CERT and NATS_TLS_KEY must be set together');
  }
  const opts: NodeConnectionOptions = {
    servers,
    name,
    // Services are disposable but the bus is not optional: keep trying forever, the status log says why.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
  };
  const credsFile = cfg.NATS_CREDS_FILE;
  const seed = cfg.NATS_NKEY_SEED;
  if (credsFile !== undefined) opts.authenticator = credsAuthenticator(() => readFileSync(credsFile));
  else if (seed !== undefined) opts.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed.trim()));
  else if (cfg.NATS_TOKEN !== undefined) opts.token = cfg.NATS_TOKEN;
  else if (cfg.NATS_USER !== undefined) {
    opts.user = cfg.NATS_USER;
    opts.pass = cfg.NATS_PASSWORD;
  }
  const wantsTls =
    servers.some((s) => s.startsWith('tls://')) || cfg.NATS_TLS_CA !== undefined || cfg.NATS_TLS_CERT !== undefined;
  if (wantsTls) {
    opts.tls = {
      ...(cfg.NATS_TLS_CA !== undefined && { caFile: cfg.NATS_TLS_CA }),
      ...(cfg.NATS_TLS_CERT !== undefined && { certFile: cfg.NATS_TLS_CERT }),
      ...(cfg.NATS_TLS_KEY !== undefined && { keyFile: cfg.NATS_TLS_KEY }),
    };
  }
  return opts;
}

/** A URL fit for logs: user info removed. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

/** Connects to NATS and returns the service's Bus (JetStream, KV, names, publishing, views, consumers). */
export async function connectBus(cfg: BusConfig, opts: ConnectBusOptions): Promise<Bus> {
  const log = opts.logger.child({ module: 'bus' });
  const names = createNames(cfg.NATS_NAMESPACE ?? '');
  const nc = await connect(connectionOptions(cfg, opts.name));
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const kvm = new Kvm(js);
  const metrics = createBusMetrics(opts.registry);
  let connected = true;
  let server: string | null = redactUrl(nc.getServer());
  const listeners = new Set<(status: Status) => void>();
  log.info({ server, namespace: names.namespace || undefined }, 'connected to NATS');

  // One status loop per connection; views and consumers subscribe through onStatus.
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          connected = false;
          log.warn({ server: redactUrl(s.server) }, 'NATS disconnected');
          break;
        case 'reconnect':
          connected = true;
          server = redactUrl(s.server);
          log.info({ server }, 'NATS reconnected');
          break;
        case 'error':
          log.warn({ error: s.error.message }, 'NATS error');
          break;
        case 'ldm':
          log.info({ server: redactUrl(s.server) }, 'NATS server entering lame duck mode');
          break;
        case 'slowConsumer':
          log.warn({ subject: s.sub.getSubject(), pending: s.pending }, 'NATS slow consumer');
          break;
        default:
          log.debug({ status: s.type }, 'NATS status');
      }
      for (const l of listeners) {
        try {
          l(s);
        } catch (err) {
          log.warn({ err }, 'bus status listener failed');
        }
      }
    }
  })();
  void nc.closed().then((err) => {
    connected = false;
    if (err) log.warn({ error: err.message }, 'NATS connection closed with error');
    else log.info('NATS connection closed');
  });

  const core: BusCore = {
    nc,
    js,
    jsm,
    kvm,
    names,
    logger: log,
    metrics,
    onStatus: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    isConnected: () => connected && !nc.isClosed(),
  };
  const publisher = createPublisher(core, { maxInFlight: opts.maxInFlight ?? 1_000 });

  return {
    ...core,
    publish: publisher.publish,
    tryPublish: publisher.tryPublish,
    view: (bucket, schema, viewOpts) => createView(core, bucket, schema, viewOpts),
    consumer: (consumerOpts) => durableConsumer(core, consumerOpts),
    drain: async () => {
      if (nc.isClosed()) return;
      await publisher.settle(2_000);
      await nc.drain();
    },
    status: () => ({ connected: core.isConnected(), closed: nc.isClosed(), server, inFlight: publisher.inFlight() }),
  };
}
