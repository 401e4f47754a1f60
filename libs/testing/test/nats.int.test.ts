import { existsSync } from 'node:fs';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNats, type NatsServer } from '@metalbus/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('startNats', () => {
  it('hands out a fresh namespace on a shared server given by NATS_URL, and owns nothing', async () => {
    const a = await startNats({ env: { NATS_URL: 'nats://nats.example:4222' } });
    const b = await startNats({ env: { NATS_URL: 'nats://nats.example:4222' } });
    expect({ mode: a.mode, url: a.url, env: a.env }).toEqual({
      mode: 'url',
      url: 'nats://nats.example:4222',
      env: { NATS_URL: 'nats://nats.example:4222', NATS_NAMESPACE: a.namespace },
    });
    expect(a.namespace).toMatch(/^t[0-9a-f]{8}$/);
    expect(a.namespace).not.toBe(b.namespace);
    await expect(a.restart()).rejects.toMatchObject({ code: 'restart-unsupported' });
    await a.stop();
  });

  it('says how to install nats-server when there is none', async () => {
    const err = await startNats({ mode: 'spawn', env: { PATH: '' }, searchDirs: [] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'TestingError', code: 'nats-server-missing' });
    expect((err as Error).message).toContain('apt-get install nats-server');
  });
});

describe('startNats (spawned nats-server)', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNats({ mode: 'spawn', env: { PATH: process.env['PATH'] } });
  });
  afterAll(() => server?.stop());

  it('runs a loopback JetStream server the test owns', async () => {
    expect({ mode: server.mode, namespace: server.namespace, env: server.env }).toEqual({
      mode: 'spawn',
      namespace: '',
      env: { NATS_URL: server.url },
    });
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(server.version).toMatch(/^nats-server: v2\.\d+\.\d+/);
    const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as {
      jetstream?: { config?: { store_dir?: string } };
    };
    expect(typeof varz.jetstream?.config?.store_dir).toBe('string');
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    expect((await jsm.getAccountInfo()).streams).toBe(0);
    await nc.close();
  });

  it('restarts on the same port with its JetStream store, and cleans up on stop', async () => {
    const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'] });
    const reconnected = (async () => {
      for await (const s of nc.status()) if (s.type === 'reconnect') return true;
      return false;
    })();
    await server.restart();
    expect(await reconnected).toBe(true);
    const names: string[] = [];
    for await (const n of (await jetstreamManager(nc)).streams.names()) names.push(n);
    expect(names).toEqual(['KEEP']);
    await nc.close();

    const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as {
      jetstream: { config: { store_dir: string } };
    };
    const store = varz.jetstream.config.store_dir;
    await server.stop();
    expect(existsSync(store)).toBe(false);
    await expect(connect({ servers: server.url, reconnect: false, timeout: 500 })).rejects.toThrow();
  });
});
