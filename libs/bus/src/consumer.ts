import { decodeEvent, type EventKind, type EventOf } from '@metalbus/events';
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import { extractTraceContext, withSpan, type Logger, type TraceContext } from '@metalbus/telemetry';
import { consumerConfig, ensureConsumer, type FilterKind } from './consumer-setup.js';
import type { BusCore } from './core.js';

export type { FilterKind } from './consumer-setup.js';
type KindOf<F extends FilterKind> = F extends 'all' ? EventKind : Extract<F, EventKind>;

export type ConsumerMessage<K extends EventKind> = { [P in K]: { kind: P; event: EventOf<P> } }[K] & {
  subject: string;
  headers: MsgHdrs | undefined;
  /** 1 on first delivery; > 1 when redelivered (ack wait expired, nak, consumer restarted). */
  deliveryCount: number;
  /** Stream sequence. */
  seq: number;
  /** The publisher's trace context (from `traceparent`); the handler already runs in a child span of it. */
  traceContext: TraceContext;
  /** Tells the server the message is still being worked on (+WIP), restarting its ack wait. */
  working(): void;
};

/**
 * What to do with the message: ack it; nak it for redelivery after `nak` ms; or terminate it (never redelivered;
 * the reason is logged — nats-server 2.9 cannot carry it).
 */
export type HandlerResult = { ack: true } | { nak: number } | { term: string };

export type DurableConsumerOptions<F extends FilterKind> = {
  /** Durable name shared by all replicas; they split the work. */
  durable: string;
  /** Which events: one kind (`power.requested` → `machine.power.requested.*`) or all. */
  filter: F;
  handler: (msg: ConsumerMessage<KindOf<F>>) => Promise<HandlerResult>;
  /** Redelivery after this long without ack/+WIP. Default 30 s. */
  ackWaitMs?: number;
  /** Deliveries before the server gives up on a message. Default 10. */
  maxDeliver?: number;
  /** Unacked messages across all replicas. Default 1000. */
  maxAckPending?: number;
  /** Handlers running at once in this process. Default 1. */
  concurrency?: number;
  /** Where a NEW durable starts: every retained message, or only new ones. Default 'all'. */
  deliverPolicy?: 'all' | 'new';
  /** Nak delay after a handler throws: base × 2^(deliveries-1), capped. Default 1 s … 60 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  logger?: Logger;
};

export type DurableConsumer = {
  readonly durable: string;
  /** Stops pulling, naks buffered messages for other replicas, and waits for running handlers. */
  stop(): Promise<void>;
};

const RESTART_DELAY_MS = 1_000;

// `+TERM <reason>` is not understood by nats-server 2.9 (the message stays pending and is redelivered), so
// terminations are sent bare and their reason is logged here instead.

/**
 * A shared durable pull consumer on the MACHINES stream with explicit acks. Decode failures are terminated
 * (never redelivered), counted and logged; a thrown handler error is nak'ed with exponential backoff.
 */
export async function durableConsumer<F extends FilterKind>(
  core: BusCore,
  opts: DurableConsumerOptions<F>,
): Promise<DurableConsumer> {
  const log = (opts.logger ?? core.logger).child({ durable: opts.durable });
  const want = consumerConfig(core, opts);
  await ensureConsumer(core, want);
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const retryBase = opts.retryBaseMs ?? 1_000;
  const retryMax = opts.retryMaxMs ?? 60_000;
  const maxDeliver = want.max_deliver ?? 10;
  const count = (result: 'ack' | 'nak' | 'term' | 'error' | 'invalid') =>
    core.metrics.consumed.inc({ durable: opts.durable, result });

  let stopping = false;
  let messages: ConsumerMessages | null = null;
  const running = new Set<Promise<void>>();
  let slotFree: (() => void) | null = null;

  const handle = async (m: JsMsg): Promise<void> => {
    const local = core.names.local(m.subject);
    const decoded = local === null ? null : decodeEvent(local, m.data);
    if (decoded === null || !decoded.ok) {
      const reason = decoded === null ? `subject outside namespace: ${m.subject}` : decoded.error.message;
      count('invalid');
      log.warn(
        {
          subject: m.subject,
          seq: m.seq,
          field: decoded && !decoded.ok && 'field' in decoded.error ? decoded.error.field : undefined,
          error: reason,
        },
        'undecodable message terminated',
      );
      m.term();
      return;
    }
    if (opts.filter !== 'all' && decoded.kind !== opts.filter) {
      count('invalid');
      log.warn({ subject: m.subject, seq: m.seq, kind: decoded.kind }, 'message of an unexpected kind terminated');
      m.term();
      return;
    }
    const traceContext = extractTraceContext((k) => m.headers?.get(k));
    const deliveryCount = m.info.deliveryCount;
    const msg = {
      kind: decoded.kind,
      event: decoded.event,
      subject: local as string,
      headers: m.headers,
      deliveryCount,
      seq: m.seq,
      traceContext,
      working: () => m.working(),
    } as ConsumerMessage<KindOf<F>>;
    try {
      const result = await withSpan(
        `process ${decoded.kind}`,
        {
          'messaging.system': 'nats',
          'messaging.destination.name': m.subject,
          'messaging.consumer.group.name': opts.durable,
          'metalbus.delivery_count': deliveryCount,
        },
        () => opts.handler(msg),
        { parent: traceContext, kind: 'consumer' },
      );
      if ('ack' in result) {
        m.ack();
        count('ack');
      } else if ('nak' in result) {
        m.nak(result.nak);
        count('nak');
      } else {
        log.info({ subject: m.subject, seq: m.seq, reason: result.term }, 'message terminated by handler');
        m.term();
        count('term');
      }
    } catch (err) {
      const delay = Math.min(retryMax, retryBase * 2 ** (deliveryCount - 1));
      count('error');
      const last = deliveryCount >= maxDeliver;
      log[last ? 'error' : 'warn'](
        { err, subject: m.subject, seq: m.seq, deliveryCount, retryInMs: last ? undefined : delay },
        last ? 'handler failed on its last delivery; giving up' : 'handler failed; will retry',
      );
      m.nak(delay);
    }
  };

  const dispatch = async (m: JsMsg) => {
    while (running.size >= concurrency) {
      await new Promise<void>((resolve) => (slotFree = resolve));
    }
    if (stopping) {
      m.nak();
      return;
    }
    const p = handle(m)
      .catch((err: unknown) => log.error({ err }, 'consumer dispatch failed'))
      .finally(() => {
        running.delete(p);
        const f = slotFree;
        slotFree = null;
        f?.();
      });
    running.add(p);
  };

  const loop = (async () => {
    while (!stopping) {
      try {
        const c = await core.js.consumers.get(core.names.stream, opts.durable);
        // Pull only what we can start soon: buffered messages age towards their ack wait.
        messages = await c.consume({ max_messages: concurrency });
        if (stopping) messages.stop();
        for await (const m of messages) {
          if (stopping) {
            m.nak(); // hand it to another replica now instead of after ack wait
            continue;
          }
          await dispatch(m);
        }
      } catch (err) {
        if (!stopping) log.warn({ err }, 'consume failed; restarting');
      }
      messages = null;
      if (!stopping && !core.nc.isClosed()) await new Promise((r) => setTimeout(r, RESTART_DELAY_MS));
      if (core.nc.isClosed()) break;
    }
  })();

  log.info({ filter: want.filter_subject, concurrency }, 'durable consumer started');
  return {
    durable: opts.durable,
    async stop() {
      if (stopping) return loop;
      stopping = true;
      const m: ConsumerMessages | null = messages;
      if (m !== null) await m.close().catch(() => undefined);
      await loop;
      await Promise.all([...running]);
    },
  };
}
