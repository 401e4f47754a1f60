import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  type ConsumerConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { EventKind } from '@metalbus/events';
import { BusError, BusErrorCode } from './errors.js';
import type { BusCore } from './core.js';

export type FilterKind = EventKind | 'all';

/** The server-side settings of a durable consumer (see DurableConsumerOptions for their meaning). */
export type ConsumerSettings = {
  durable: string;
  filter: FilterKind;
  ackWaitMs?: number;
  maxDeliver?: number;
  maxAckPending?: number;
  deliverPolicy?: 'all' | 'new';
};

/** The consumer config this library manages; idempotent creation compares exactly these fields. */
export function consumerConfig(core: Pick<BusCore, 'names'>, opts: ConsumerSettings): ConsumerConfig {
  return {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: opts.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: core.names.pattern(opts.filter),
    ack_wait: nanos(opts.ackWaitMs ?? 30_000),
    max_deliver: opts.maxDeliver ?? 10,
    max_ack_pending: opts.maxAckPending ?? 1_000,
  } as ConsumerConfig;
}

/** Creates the durable, or adjusts the fields a 2.9 server can change; refuses to silently refilter it. */
export async function ensureConsumer(core: BusCore, want: ConsumerConfig): Promise<void> {
  const stream = core.names.stream;
  const name = want.durable_name as string;
  let have;
  try {
    have = await core.jsm.consumers.info(stream, name);
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound)) throw err;
    try {
      await core.jsm.consumers.add(stream, want);
      return;
    } catch (addErr) {
      // Lost a creation race with another replica: compare with what it created.
      have = await core.jsm.consumers.info(stream, name).catch(() => {
        throw addErr;
      });
    }
  }
  const c = have.config;
  if (
    c.filter_subject !== want.filter_subject ||
    c.deliver_policy !== want.deliver_policy ||
    c.ack_policy !== want.ack_policy
  ) {
    // A 2.9 server cannot change these on an existing consumer.
    throw new BusError(
      BusErrorCode.consumerConfig,
      `durable ${name} exists with filter ${c.filter_subject ?? '(none)'} deliver ${c.deliver_policy} ack ${c.ack_policy}; ` +
        `wanted ${want.filter_subject} ${want.deliver_policy} ${want.ack_policy} (delete the durable to change them)`,
    );
  }
  if (
    c.ack_wait !== want.ack_wait ||
    c.max_deliver !== want.max_deliver ||
    c.max_ack_pending !== want.max_ack_pending
  ) {
    await core.jsm.consumers.update(stream, name, {
      ack_wait: want.ack_wait,
      max_deliver: want.max_deliver,
      max_ack_pending: want.max_ack_pending,
    });
  }
}
