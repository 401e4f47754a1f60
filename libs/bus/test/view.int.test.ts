import { busReadiness, connectBus, provision, type Bus, type View, type ViewChange } from '@metalbus/bus';
import { startNats, waitFor, type NatsServer } from '@metalbus/testing';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from './support.js';

const recordSchema = z.object({ state: z.enum(['on', 'off']), n: z.number().int() });
type Rec = z.infer<typeof recordSchema>;
const json = (v: unknown) => JSON.stringify(v);

describe('KV view (real nats-server)', () => {
  let server: NatsServer;
  let bus: Bus;
  const registry = new Registry();
  const log = memoryLogger();
  const views: View<unknown>[] = [];

  beforeAll(async () => {
    server = await startNats();
    bus = await connectBus(
      { NATS_URL: server.url, NATS_NAMESPACE: server.namespace || undefined },
      { name: 'view-test', logger: log.logger, registry },
    );
    await provision(bus);
  });
  afterAll(async () => {
    for (const v of views) await v.stop();
    await bus?.drain();
    await server?.stop();
  });

  it('bootstraps from existing values, skips invalid records, then converges on puts and deletes', async () => {
    const kv = await bus.kvm.open(bus.names.bucket('power'));
    await kv.put('m1', json({ state: 'on', n: 1 }));
    await kv.put('m2', json({ state: 'off', n: 2 }));
    await kv.put('m2', json({ state: 'on', n: 3 })); // history: only the last value counts
    await kv.put('m3', json({ state: 'blue', n: 4 })); // invalid
    await kv.put('m4', json({ state: 'off', n: 5 }));
    await kv.delete('m4');

    const changes: ViewChange<Rec>[] = [];
    const view = bus.view('power', recordSchema, { onChange: (c) => changes.push(c) });
    views.push(view);
    expect(view.isBootstrapped()).toBe(false);
    await view.bootstrapped;
    expect(view.isBootstrapped()).toBe(true);
    expect(Object.fromEntries(view.entries())).toEqual({ m1: { state: 'on', n: 1 }, m2: { state: 'on', n: 3 } });
    expect(changes.map((c) => [c.op, c.kvKey])).toEqual([
      ['put', 'm1'],
      ['put', 'm2'],
    ]);
    const invalid = log.lines
      .filter((l) => l.msg === 'invalid record skipped')
      .map((l) => ({ kvKey: l.kvKey, field: l.field }));
    expect(invalid).toEqual([{ kvKey: 'm3', field: 'state' }]);
    expect(await registry.getSingleMetricAsString('metalbus_bus_view_invalid_total')).toContain(
      `metalbus_bus_view_invalid_total{bucket="${bus.names.bucket('power')}"} 1`,
    );

    await kv.put('m5', json({ state: 'off', n: 6 }));
    await kv.put('m1', json({ state: 'off', n: 7 }));
    await kv.delete('m2');
    await kv.put('m3', json({ state: 'on', n: 8 })); // fixed
    await kv.put('m6', json({ state: 'on', n: 9 }));
    await kv.purge('m6');
    await kv.put('m5', 'not json'); // a valid value turning invalid leaves the view
    await kv.put('last', json({ state: 'on', n: 10 }));
    await waitFor(() => view.get('last'));
    expect(Object.fromEntries(view.entries())).toEqual({
      m1: { state: 'off', n: 7 },
      m3: { state: 'on', n: 8 },
      last: { state: 'on', n: 10 },
    });
    expect(view.size).toBe(3);
  });

  it('bootstraps an empty bucket and reports readiness', async () => {
    const view = bus.view('groups', recordSchema);
    views.push(view);
    expect(busReadiness(bus, [view])).toEqual([
      { name: 'nats', ok: true },
      { name: `view:${bus.names.bucket('groups')}`, ok: false, detail: 'bootstrapping' },
    ]);
    await view.bootstrapped;
    expect({ size: view.size, ready: busReadiness(bus, [view]).every((c) => c.ok) }).toEqual({ size: 0, ready: true });
  });

  it('re-establishes the watch after nats-server restarts', async (ctx) => {
    if (server.mode !== 'spawn') {
      console.warn(
        `SKIPPED: the view reconnect test restarts nats-server, which needs spawn mode (got ${server.mode})`,
      );
      ctx.skip();
    }
    const view = bus.view('machines', recordSchema);
    views.push(view);
    const kv = await bus.kvm.open(bus.names.bucket('machines'));
    await kv.put('before', json({ state: 'on', n: 1 }));
    await view.bootstrapped;
    await waitFor(() => view.get('before'));

    let reconnects = 0;
    const off = bus.onStatus((s) => {
      if (s.type === 'reconnect') reconnects++;
    });
    await server.restart();
    await waitFor(() => reconnects > 0 && bus.status().connected, { what: 'the bus to reconnect' });
    off();
    await kv.put('after', json({ state: 'off', n: 2 }));
    await kv.delete('before');
    await waitFor(() => view.get('after') !== undefined && view.get('before') === undefined, {
      what: 'the view to follow changes after the restart',
    });
    expect(Object.fromEntries(view.entries())).toEqual({ after: { state: 'off', n: 2 } });
    expect(view.isBootstrapped()).toBe(true);
    // Re-watched on the reconnect itself, not after the watcher's missed heartbeats.
    expect(
      log.lines.some((l) => l.msg === 'reconnected; re-establishing watch' && l.view === bus.names.bucket('machines')),
    ).toBe(true);
  });

  it('rejects bootstrapped when stopped first', async () => {
    const view = bus.view('profiles', recordSchema);
    await view.stop();
    await expect(view.bootstrapped).rejects.toMatchObject({ code: 'view-stopped' });
  });
});
