import { randomUUID } from 'node:crypto';
import { encodeEvent, type EventInput, type EventKind } from '@metalbus/events';
import type { PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { injectTraceHeaders, startProducerSpan, withSpan, type ProducerSpan } from '@metalbus/telemetry';
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

  // tryPublish queues events and hands them to the client together once per event-loop turn: every request
  // of the turn shares one socket write. They are core publishes on the stream's subjects: JetStream stores them
  // (deduplicating by Nats-Msg-Id) without a PubAck round trip per event, which would cost more than the reply
  // the event describes. Fire-and-forget is tryPublish's contract.
  type Queued = { subject: string; data: Uint8Array; headers: MsgHdrs; span: ProducerSpan; kind: EventKind };
  let queued: Queued[] = [];
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    const batch = queued;
    queued = [];
    for (const q of batch) {
      if (!core.isConnected()) {
        q.span.end();
        drop(q.kind, DropReason.disconnected);
        continue;
      }
      try {
        core.nc.publish(q.subject, q.data, { headers: q.headers });
        q.span.end();
        core.metrics.published.inc({ kind: q.kind });
      } catch (err) {
        q.span.end(err);
        drop(q.kind, DropReason.error, err);
      }
    }
    if (queued.length === 0 && idle.length > 0) {
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
      let p: Prepared;
      try {
        p = prepare(core, kind, event, publishOpts);
      } catch (err) {
        return drop(kind, DropReason.invalid, err);
      }
      if (queued.length >= opts.maxInFlight) return drop(kind, DropReason.overload);
      // Hot-path events get their own producer span (a new trace when the caller has none), so every event
      // carries a traceparent without making the caller wait.
      const span = startProducerSpan(`publish ${kind}`, {
        'messaging.system': 'nats',
        'messaging.destination.name': p.subject,
        'messaging.message.id': p.msgId,
      });
      const headers = natsHeaders();
      span.inject((k, v) => headers.set(k, v));
      headers.set('Nats-Msg-Id', p.msgId);
      queued.push({ subject: p.subject, data: p.data, headers, span, kind });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
      return true;
    },

    inFlight: () => queued.length,

    settle(timeoutMs) {
      if (queued.length === 0) return Promise.resolve();
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
