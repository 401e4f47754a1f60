import { performance } from 'node:perf_hooks';
import type { BootAssetEvent, EventInput } from '@metalbus/events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { AssetKind } from './content-type.js';

export type AssetSource = BootAssetEvent['source'];
/** Injected by the lead: publishes through the bus; never throws, never awaited here. */
export type PublishAssetEvent = (kind: 'boot.asset', event: EventInput<'boot.asset'>) => void;
/** Injected by the lead: the machine behind a request (e.g. remote IP → machine of a recent script request). */
export type ResolveMachine = (req: FastifyRequest) => string | null;

export interface AssetReporterOptions {
  readonly registry: Registry;
  readonly publish: PublishAssetEvent;
  readonly resolveMachine: ResolveMachine;
  /** This replica's name, copied into every event. */
  readonly replica: string;
}

/** Filled in by a route while it decides; read once when the response closes. */
export interface Served {
  readonly path: string;
  kind: AssetKind;
  readonly source: AssetSource;
  range: string | null;
  cacheHit: boolean | null;
  /** Body bytes of a response that completes (0 for HEAD/304/416); null when the length is not known up front. */
  plannedBytes: number | null;
  /** Body bytes handed to the socket so far: used when the response did not complete. */
  progress: (() => number) | null;
}

export interface AssetReporter {
  /** Start tracking: call first thing in the handler, before any await, so an early abort is seen too. */
  track(req: FastifyRequest, reply: FastifyReply, path: string, kind: AssetKind, source: AssetSource): Served;
  /** A request refused before any file was touched (hostile or malformed path), by named reason. */
  refused(source: AssetSource, reason: string): void;
}

const MAX_EVENT_PATH = 512;

export function createAssetReporter(opts: AssetReporterOptions): AssetReporter {
  const prefix = 'metalbus_boot_http_asset_';
  const bytesSent = new Counter({
    name: `${prefix}bytes_sent_total`,
    help: 'Body bytes sent for asset requests, by source (local, factory, ipxe).',
    labelNames: ['source'],
    registers: [opts.registry],
  });
  const requests = new Counter({
    name: `${prefix}requests_total`,
    help: 'Asset responses by source and HTTP status.',
    labelNames: ['source', 'status'],
    registers: [opts.registry],
  });
  const aborted = new Counter({
    name: `${prefix}aborted_total`,
    help: 'Asset responses that closed before the whole body was sent (client gone or upstream failed).',
    labelNames: ['source'],
    registers: [opts.registry],
  });
  const refusedTotal = new Counter({
    name: `${prefix}refused_total`,
    help: 'Asset requests refused before touching a file, by source and reason (traversal, encoding, ...).',
    labelNames: ['source', 'reason'],
    registers: [opts.registry],
  });
  const events = new Counter({
    name: `${prefix}events_total`,
    help: 'boot.asset events: published, skipped (machine unknown) or failed (publish threw).',
    labelNames: ['result'],
    registers: [opts.registry],
  });

  // Label children resolved once per label set: `inc({…})` would hash the label object on every response.
  function labelled(counter: Counter): (...values: string[]) => { inc(n?: number): void } {
    const children = new Map<string, { inc(n?: number): void }>();
    return (...values) => {
      const key = values.join('\u0000');
      let c = children.get(key);
      if (c === undefined) {
        c = counter.labels(...values);
        children.set(key, c);
      }
      return c;
    };
  }
  const bytesBy = labelled(bytesSent);
  const requestsBy = labelled(requests);
  const abortedBy = labelled(aborted);
  const eventsBy = labelled(events);

  function finish(req: FastifyRequest, reply: FastifyReply, served: Served, startedAt: number, done: boolean): void {
    const res = reply.raw;
    const complete = done || res.writableFinished;
    const bytes = complete && served.plannedBytes !== null ? served.plannedBytes : (served.progress?.() ?? 0);
    const status = res.statusCode;
    bytesBy(served.source).inc(bytes);
    requestsBy(served.source, String(status)).inc();
    if (!complete) abortedBy(served.source).inc();
    let machineId: string | null;
    try {
      machineId = opts.resolveMachine(req);
    } catch {
      machineId = null;
    }
    if (machineId === null) {
      eventsBy('skipped').inc();
      return;
    }
    try {
      opts.publish('boot.asset', {
        schema: 1,
        machineId,
        at: new Date().toISOString(),
        transport: 'http',
        path: served.path.slice(0, MAX_EVENT_PATH),
        kind: served.kind,
        status,
        bytes,
        range: served.range,
        durationMs: Math.round((performance.now() - startedAt) * 1000) / 1000,
        cacheHit: served.cacheHit,
        source: served.source,
        replica: opts.replica,
        remoteAddress: req.ip ?? null,
      });
      eventsBy('published').inc();
    } catch {
      eventsBy('failed').inc();
    }
  }

  return {
    track(req, reply, path, kind, source) {
      const startedAt = performance.now();
      const served: Served = { path, kind, source, range: null, cacheHit: null, plannedBytes: 0, progress: null };
      // 'finish': the whole response was handed to the OS. 'close' fires once for completed and for aborted
      // responses; the event goes out after the reply.
      let done = false;
      reply.raw.once('finish', () => {
        done = true;
      });
      reply.raw.once('close', () => finish(req, reply, served, startedAt, done));
      return served;
    },
    refused(source, reason) {
      refusedTotal.inc({ source, reason });
    },
  };
}
