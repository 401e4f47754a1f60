import { randomUUID } from 'node:crypto';
import { encodeEvent, type EventInput, type EventKind } from '@metalbus/events';
import type { PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { injectTraceHeaders, startProducerSpan, withSpan } from '@metalbus/telemetry';
import { createThrottle } from './throttle.js';
import type { BusCore, PublishOptions } from './core.js';

export const DropReason = {
  disconnected: 'disconnected',
  overload: 'overload',
  invalid: 'invalid',
  error: 'error',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

const DEFAULT_TIMEOUT_MS = 5_000;
const LOG_INTERVAL_MS = 10_000;

export type Publisher = {
  publish<K extends EventKind>(kind: K, event: EventInput<K>, opts?: PublishOptions): Promise<PubAck>;
  tryPublish<K extends EventKind>(kind: K, event: EventInput<K>, opts?: PublishOptions): boolean;
  inFlight(): number;
  /** Resolves when no tryPublish is in flight, or after timeoutMs. */
  settle(timeoutMs: number): Promise<void>;
};

type Prepared = { subject: string; data: Uint8Array; msgId: string; kind: EventKind };

/** The Nats-Msg-Id: explicit, else derived from a requestId (per kind, so an outcome never dedups its command). */
function msgIdFor(kind: EventKind, event: object, explicit: string | undefined): string {
  if (explicit !== undefined) return explicit;
  const requestId = (event as { requestId?: unknown }).requestId;
  return typeof requestId === 'string' ? `${kind}:${requestId}` : randomUUID();
}

function prepare<K extends EventKind>(
  core: BusCore,
  kind: K,
  event: EventInput<K>,
  opts: PublishOptions | undefined,
): Prepared {
  const encoded = encodeEvent(kind, event);
  return {
    subject: core.names.qualify(encoded.subject),
    data: encoded.data,
    msgId: msgIdFor(kind, encoded.event, opts?.msgId),
    kind,
  };
}

function traceHeaders(): MsgHdrs {
  const h = natsHeaders();
  injectTraceHeaders((k, v) => h.set(k, v));
  return h;
}

export function createPublisher(core: BusCore, opts: { maxInFlight: number }): Publisher {
  const log = core.logger;
  const throttle = createThrottle(LOG_INTERVAL_MS);
  let inFlight = 0;
  let idle: (() => void)[] = [];

  const drop = (kind: EventKind, reason: DropReason, err?: unknown): false => {
    core.metrics.dropped.inc({ kind, reason });
    const suppressed = throttle.allow(reason);
    if (suppressed !== null) {
      // Outages are already logged by the status loop; an invalid event is a bug worth a warning.
      const level = reason === DropReason.disconnected ? 'debug' : 'warn';
      log[level]({ kind, reason, suppressed, ...(err !== undefined && { err }) }, 'event dropped');
    }
    return false;
  };

  const done = () => {
    inFlight--;
    if (inFlight === 0 && idle.length > 0) {
      for (const r of idle) r();
      idle = [];
    }
  };

  return {
    async publish(kind, event, publishOpts) {
      const p = prepare(core, kind, event, publishOpts);
      const ack = await withSpan(
        `publish ${kind}`,
        { 'messaging.system': 'nats', 'messaging.destination.name': p.subject, 'messaging.message.id': p.msgId },
        () =>
          core.js.publish(p.subject, p.data, {
            msgID: p.msgId,
            headers: traceHeaders(),
            timeout: publishOpts?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          }),
        { kind: 'producer' },
      );
      core.metrics.published.inc({ kind });
      return ack;
    },

    tryPublish(kind, event, publishOpts) {
      if (!core.isConnected()) return drop(kind, DropReason.disconnected);
      if (inFlight >= opts.maxInFlight) return drop(kind, DropReason.overload);
      let p: Prepared;
      try {
        p = prepare(core, kind, event, publishOpts);
      } catch (err) {
        return drop(kind, DropReason.invalid, err);
      }
      inFlight++;
      // Hot-path events get their own producer span (a new trace when the caller has none), so every event
      // carries a traceparent without making the caller wait.
      const span = startProducerSpan(`publish ${kind}`, {
        'messaging.system': 'nats',
        'messaging.destination.name': p.subject,
        'messaging.message.id': p.msgId,
      });
      const headers = natsHeaders();
      span.inject((k, v) => headers.set(k, v));
      let pending: Promise<PubAck>;
      try {
        pending = core.js.publish(p.subject, p.data, {
          msgID: p.msgId,
          headers,
          timeout: publishOpts?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        });
      } catch (err) {
        span.end(err);
        done();
        return drop(kind, DropReason.error, err);
      }
      pending.then(
        () => {
          span.end();
          core.metrics.published.inc({ kind });
          done();
        },
        (err: unknown) => {
          span.end(err);
          done();
          drop(kind, DropReason.error, err);
        },
      );
      return true;
    },

    inFlight: () => inFlight,

    settle(timeoutMs) {
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
