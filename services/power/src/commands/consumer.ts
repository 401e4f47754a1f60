import type { Bus, ConsumerMessage, DurableConsumer, HandlerResult } from '@metalbus/bus';
import type { Logger } from 'pino';

/** The durable shared by every power replica: they split `machine.power.requested.*` between them. */
export const POWER_DURABLE = 'power';

/**
 * Starts the shared durable pull consumer. `max_ack_pending` is a property of the durable on the server, so it
 * bounds commands in progress across ALL replicas: a storm waits in the stream, nothing is dropped. The same
 * number bounds handlers in this process. Deliveries are unlimited: a command handed back because its BMC was
 * busy elsewhere must never run out of attempts (handlers answer every command with an outcome themselves).
 */
export function startCommandConsumer(
  bus: Pick<Bus, 'consumer'>,
  handler: (msg: ConsumerMessage<'power.requested'>) => Promise<HandlerResult>,
  opts: { concurrency: number; ackWaitMs: number; logger: Logger },
): Promise<DurableConsumer> {
  return bus.consumer({
    durable: POWER_DURABLE,
    filter: 'power.requested',
    ackWaitMs: opts.ackWaitMs,
    maxAckPending: opts.concurrency,
    concurrency: opts.concurrency,
    maxDeliver: -1,
    retryBaseMs: 1_000,
    retryMaxMs: 30_000,
    logger: opts.logger,
    handler,
  });
}
