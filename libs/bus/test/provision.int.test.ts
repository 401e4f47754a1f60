import { BUCKETS } from '@metalbus/events';
import { connectBus, ensureStream, provision, type Bus } from '@metalbus/bus';
import { freshNamespace, startNats, type NatsServer } from '@metalbus/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from './support.js';

const NS_PER_MS = 1_000_000;

describe('provision (real nats-server)', () => {
  let server: NatsServer;
  const buses: Bus[] = [];
  const connectTo = async (namespace: string) => {
    const bus = await connectBus(
      { NATS_URL: server.url, NATS_NAMESPACE: namespace || undefined },
      { name: 'provision-test', logger: memoryLogger().logger },
    );
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    server = await startNats();
    console.info(`provision tests against ${server.mode} ${server.version ?? server.url}`);
  });
  afterAll(async () => {
    for (const b of buses) await b.drain();
    await server?.stop();
  });

  it('creates the stream and every bucket, then reports them unchanged', async () => {
    const bus = await connectTo(server.namespace);
    const first = await provision(bus);
    const allBuckets = Object.values(BUCKETS).map((b) => bus.names.bucket(b));
    expect(first).toEqual({
      stream: { name: bus.names.stream, outcome: 'created' },
      buckets: allBuckets.map((name) => ({ name, outcome: 'created' })),
    });
    const second = await provision(bus);
    expect(second).toEqual({
      stream: { name: bus.names.stream, outcome: 'unchanged' },
      buckets: allBuckets.map((name) => ({ name, outcome: 'unchanged' })),
    });

    const { config } = await bus.jsm.streams.info(bus.names.stream);
    expect({
      subjects: config.subjects,
      retention: config.retention,
      storage: config.storage,
      max_age: config.max_age,
      max_bytes: config.max_bytes,
      duplicate_window: config.duplicate_window,
      discard: config.discard,
    }).toEqual({
      subjects: [bus.names.qualify('machine.>')],
      retention: 'limits',
      storage: 'file',
      max_age: 7 * 24 * 3600 * 1000 * NS_PER_MS,
      max_bytes: 1024 ** 3,
      duplicate_window: 120_000 * NS_PER_MS,
      discard: 'old',
    });
    const kv = await bus.kvm.open(bus.names.bucket('power'));
    const status = await kv.status();
    expect({ history: status.history, bucket: status.bucket }).toEqual({
      history: 5,
      bucket: bus.names.bucket('power'),
    });
  });

  it('succeeds when several services provision the same namespace at once', async () => {
    const namespace = freshNamespace();
    const racers = await Promise.all([1, 2, 3, 4].map(() => connectTo(namespace)));
    const reports = await Promise.all(racers.map((b) => provision(b)));
    // Every racer saw the stream exist afterwards; exactly who created it is up to the race.
    for (const r of reports) {
      expect(r.stream.name).toBe(`${namespace}_MACHINES`);
      expect(r.buckets.map((b) => b.name)).toEqual(Object.values(BUCKETS).map((b) => `${namespace}-${b}`));
    }
    expect(reports.filter((r) => r.stream.outcome === 'created').length).toBeGreaterThanOrEqual(1);
    const again = await provision(racers[0] as Bus);
    expect([again.stream.outcome, ...new Set(again.buckets.map((b) => b.outcome))]).toEqual(['unchanged', 'unchanged']);
  });

  it('survives many services creating the same extra stream at once (2.9 may answer "subjects overlap")', async () => {
    const racers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => connectTo(freshNamespace())));
    for (let round = 0; round < 10; round++) {
      const name = `RACE_${freshNamespace()}`;
      const want = {
        name,
        subjects: [`${name}.>`],
        storage: 'file' as const,
        retention: 'limits' as const,
        discard: 'old' as const,
        max_age: 0,
        max_bytes: -1,
        num_replicas: 1,
      };
      const outcomes = await Promise.all(racers.map((b) => ensureStream(b.jsm, want)));
      expect(outcomes.every((o) => o === 'created' || o === 'unchanged')).toBe(true);
      expect(outcomes.filter((o) => o === 'created').length).toBeGreaterThanOrEqual(1);
    }
  });

  it('updates limits that changed, and only then', async () => {
    const bus = await connectTo(freshNamespace());
    await provision(bus);
    const changed = await provision(bus, { maxAgeMs: 24 * 3600 * 1000, buckets: { power: { history: 10 } } });
    expect({
      stream: changed.stream.outcome,
      updated: changed.buckets.filter((b) => b.outcome === 'updated').map((b) => b.name),
    }).toEqual({
      stream: 'updated',
      updated: [bus.names.bucket('power')],
    });
    const info = await bus.jsm.streams.info(bus.names.stream);
    expect(info.config.max_age).toBe(24 * 3600 * 1000 * NS_PER_MS);
    const same = await provision(bus, { maxAgeMs: 24 * 3600 * 1000, buckets: { power: { history: 10 } } });
    expect(same.stream.outcome).toBe('unchanged');
  });

  it('keeps namespaces apart on one server', async () => {
    const a = await connectTo(freshNamespace());
    const b = await connectTo(freshNamespace());
    await Promise.all([provision(a), provision(b)]);
    const names = new Set<string>();
    for await (const n of a.jsm.streams.names()) names.add(n);
    expect([
      names.has(a.names.stream),
      names.has(b.names.stream),
      names.has(`KV_${a.names.bucket('machines')}`),
    ]).toEqual([true, true, true]);
  });
});
