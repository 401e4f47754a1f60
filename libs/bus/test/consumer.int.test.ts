import { fileURLToPath } from 'node:url';
import { connectBus, provision, type Bus, type DurableConsumer } from '@metalbus/bus';
import { currentTraceId, startTracing, withSpan, type Tracing } from '@metalbus/telemetry';
import { spawnService, startNats, waitFor, type NatsServer } from '@metalbus/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { machineId, memoryLogger, powerChanged, powerRequested } from './support.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/noack-consumer.ts', import.meta.url));

describe('durable consumer (real nats-server)', () => {
  let server: NatsServer;
  let bus: Bus;
  let tracing: Tracing;
  const registry = new Registry();
  const log = memoryLogger();
  const consumers: DurableConsumer[] = [];

  beforeAll(async () => {
    tracing = startTracing({ service: 'consumer-test' });
    server = await startNats();
    bus = await connectBus(
      { NATS_URL: server.url, NATS_NAMESPACE: server.namespace || undefined },
      { name: 'consumer-test', logger: log.logger, registry },
    );
    await provision(bus);
  });
  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await bus?.drain();
    await server?.stop();
    await tracing?.shutdown();
  });

  it('redelivers an un-acked message after its consumer process is killed', async () => {
    const event = powerRequested();
    await bus.publish('power.requested', event);
    const child = spawnService(
      process.execPath,
      ['--import', 'tsx', fixture],
      { ...server.env, DURABLE: 'redeliver', ACK_WAIT_MS: '1500' },
      { cwd: repoRoot },
    );
    try {
      const m = await child.waitForLine(/received seq=(\d+) delivery=(\d+) request=(\S+)/, 30_000);
      expect([m[2], m[3]]).toEqual(['1', event.requestId]);
    } finally {
      await child.stop('SIGKILL');
    }
    const seen: unknown[] = [];
    consumers.push(
      await bus.consumer({
        durable: 'redeliver',
        filter: 'power.requested',
        ackWaitMs: 1500,
        handler: async (msg) => {
          seen.push({ kind: msg.kind, deliveryCount: msg.deliveryCount, event: msg.event });
          return { ack: true };
        },
      }),
    );
    await waitFor(() => seen.length > 0, { timeoutMs: 15_000, what: 'the redelivery' });
    expect(seen).toEqual([
      {
        kind: 'power.requested',
        deliveryCount: 2,
        event: { ...event, bootFirmware: null, deadline: null, reason: null },
      },
    ]);
  });

  it('keeps the trace id from publisher to handler', async () => {
    const got: { active: string | undefined; carried: string | undefined; traceparent: string | undefined }[] = [];
    consumers.push(
      await bus.consumer({
        durable: 'trace',
        filter: 'power.changed',
        deliverPolicy: 'new',
        handler: async (msg) => {
          got.push({
            active: currentTraceId(),
            carried: currentTraceId(msg.traceContext),
            traceparent: msg.headers?.get('traceparent'),
          });
          return { ack: true };
        },
      }),
    );
    const traceId = await withSpan('test request', {}, async (span) => {
      await bus.publish('power.changed', powerChanged());
      return span.spanContext().traceId;
    });
    await waitFor(() => got.length > 0);
    expect(got).toEqual([
      {
        active: traceId,
        carried: traceId,
        traceparent: expect.stringMatching(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`)),
      },
    ]);
  });

  it("gives hot-path events (tryPublish) a traceparent: the caller's trace, or a new one", async () => {
    const got: { traceparent: string | undefined; carried: string | undefined }[] = [];
    consumers.push(
      await bus.consumer({
        durable: 'trace-try',
        filter: 'lifecycle',
        deliverPolicy: 'new',
        handler: async (msg) => {
          got.push({ traceparent: msg.headers?.get('traceparent'), carried: currentTraceId(msg.traceContext) });
          return { ack: true };
        },
      }),
    );
    const lifecycle = () => ({
      schema: 1 as const,
      machineId: machineId(),
      at: '2025-01-02T03:04:05.000Z',
      state: 'accepted' as const,
      detail: null,
    });
    const traceId = await withSpan('dhcp transaction', {}, async (span) => {
      expect(bus.tryPublish('lifecycle', lifecycle())).toBe(true);
      return span.spanContext().traceId;
    });
    expect(bus.tryPublish('lifecycle', lifecycle())).toBe(true);
    await waitFor(() => got.length === 2);
    const traceparent = /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/;
    expect(got[0]).toEqual({ traceparent: expect.stringMatching(traceparent), carried: traceId });
    const fresh = traceparent.exec(got[1]?.traceparent ?? '');
    expect(fresh?.[1]).toBeDefined();
    expect(fresh?.[1]).not.toBe(traceId);
    expect(got[1]?.carried).toBe(fresh?.[1]);
  });

  it('terminates undecodable messages, counts them, and carries on', async () => {
    const handled: string[] = [];
    consumers.push(
      await bus.consumer({
        durable: 'junk',
        filter: 'power.requested',
        deliverPolicy: 'new',
        handler: async (msg) => {
          handled.push(msg.event.requestId);
          return { ack: true };
        },
      }),
    );
    const good = powerRequested();
    const junk = await bus.js.publish(
      bus.names.qualify(`machine.power.requested.${good.machineId}`),
      new TextEncoder().encode('{"schema":1,"action":"fly"}'),
    );
    await bus.publish('power.requested', good);
    await waitFor(() => handled.length > 0);
    expect(handled).toEqual([good.requestId]);
    const info = await waitFor(async () => {
      const ci = await bus.jsm.consumers.info(bus.names.stream, 'junk');
      return ci.num_ack_pending === 0 && ci.ack_floor.stream_seq > junk.seq ? ci : undefined;
    });
    expect({ redelivered: info.num_redelivered, pending: info.num_pending }).toEqual({ redelivered: 0, pending: 0 });
    const metric = (await registry.getSingleMetricAsString('metalbus_bus_consumer_messages_total')).split('\n');
    expect(metric.filter((l) => l.includes('durable="junk"'))).toEqual([
      'metalbus_bus_consumer_messages_total{durable="junk",result="invalid"} 1',
      'metalbus_bus_consumer_messages_total{durable="junk",result="ack"} 1',
    ]);
    const warned = log.lines.find((l) => l.msg === 'undecodable message terminated');
    expect({ seq: warned?.seq, field: warned?.field }).toEqual({ seq: junk.seq, field: 'machineId' });
  });

  it('naks a throwing handler with backoff and gets the message again', async () => {
    const deliveries: number[] = [];
    consumers.push(
      await bus.consumer({
        durable: 'retry',
        filter: 'power.requested',
        deliverPolicy: 'new',
        retryBaseMs: 50,
        handler: async (msg) => {
          deliveries.push(msg.deliveryCount);
          if (msg.deliveryCount === 1) throw new Error('BMC busy');
          return { ack: true };
        },
      }),
    );
    await bus.publish('power.requested', powerRequested());
    await waitFor(() => deliveries.length >= 2);
    expect(deliveries).toEqual([1, 2]);
  });

  it('splits the work between replicas sharing a durable', async () => {
    const byReplica: Record<string, string[]> = { a: [], b: [] };
    for (const replica of ['a', 'b']) {
      consumers.push(
        await bus.consumer({
          durable: 'split',
          filter: 'power.requested',
          deliverPolicy: 'new',
          concurrency: 2,
          handler: async (msg) => {
            byReplica[replica]?.push(msg.event.requestId);
            await new Promise((r) => setTimeout(r, 5));
            return { ack: true };
          },
        }),
      );
    }
    const sent = [];
    for (let i = 0; i < 30; i++) sent.push((await bus.publish('power.requested', powerRequested())).seq);
    await waitFor(() => (byReplica['a']?.length ?? 0) + (byReplica['b']?.length ?? 0) >= 30);
    const all = [...(byReplica['a'] ?? []), ...(byReplica['b'] ?? [])];
    expect({ total: all.length, distinct: new Set(all).size }).toEqual({ total: 30, distinct: 30 });
  });
});
