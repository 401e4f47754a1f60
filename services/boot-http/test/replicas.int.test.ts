import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { connectBus, createKvWriter, provision, type Bus } from '@metalbus/bus';
import { BUCKETS, decodeEvent } from '@metalbus/events';
import { createLogger } from '@metalbus/telemetry';
import { startNats, tmpDir, waitFor, type NatsServer, type TmpDir } from '@metalbus/testing';
import { createBootHttpApp, type BootHttpApp } from '../src/app.js';
import { bootHttpConfigSchema } from '../src/config.js';

// Two boot-http replicas share nothing but NATS: a profile edit written to KV reaches both, a boot intent
// written by omni-bridge overrides the profile on both, and each served script becomes a boot.script event.

const UUID = '5a4b3c2d-1e0f-4a1b-8c2d-3e4f5a6b7c8d';
const MAC = '52:54:00:aa:bb:01';
let nats: NatsServer;
let dir: TmpDir;
let writerBus: Bus;
const replicas: { bus: Bus; boot: BootHttpApp; url: string }[] = [];

function profile(version: string) {
  return {
    id: 'talos',
    boot: {
      kernel: `/assets/talos/${version}/vmlinuz`,
      initrd: [`/assets/talos/${version}/initramfs.xz`],
      args: ['talos.platform=metal'],
    },
  };
}

beforeAll(async () => {
  nats = await startNats();
  dir = await tmpDir('boot-http-replicas');
  const logger = createLogger({ service: 'boot-http-test', level: 'silent' });
  writerBus = await connectBus(bootHttpConfigSchema.parse({ ...nats.env }), { name: 'writer', logger });
  await provision(writerBus);
  for (const name of ['replica-a', 'replica-b']) {
    const config = bootHttpConfigSchema.parse({
      ...nats.env,
      REPLICA_NAME: name,
      ASSETS_DIR: dir.path,
      CACHE_DIR: `${dir.path}/cache-${name}`,
      ADVERTISE_URL: 'http://10.0.0.1:8080',
    });
    const bus = await connectBus(config, { name, logger });
    const boot = await createBootHttpApp({ config, bus, logger, registry: new Registry() });
    const url = await boot.app.listen({ host: '127.0.0.1', port: 0 });
    replicas.push({ bus, boot, url });
  }
  await Promise.all(replicas.flatMap((r) => r.boot.views.map((v) => v.bootstrapped)));
});

afterAll(async () => {
  for (const r of replicas) {
    await r.boot.close();
    await r.bus.drain();
  }
  await writerBus?.drain();
  await nats?.stop();
  await dir?.cleanup();
});

const script = (url: string) =>
  fetch(`${url}/ipxe?uuid=${UUID}&mac=${MAC}`).then(async (r) => `${r.status} ${await r.text()}`);

describe('two replicas', () => {
  it('both see profile edits and boot intents from KV', async () => {
    const kv = createKvWriter(writerBus);
    await kv.put(BUCKETS.profiles, 'talos', profile('v1.9.0'));
    await kv.put(BUCKETS.groups, 'default', { id: 'default', profile: 'talos' });
    for (const r of replicas) {
      await waitFor(async () => (await script(r.url)).includes('/assets/talos/v1.9.0/vmlinuz'), {
        timeoutMs: 5_000,
        what: `${r.url} profile`,
      });
    }
    await kv.put(BUCKETS.profiles, 'talos', profile('v1.10.0'));
    for (const r of replicas) {
      await waitFor(async () => (await script(r.url)).includes('/assets/talos/v1.10.0/vmlinuz'), {
        timeoutMs: 5_000,
        what: `${r.url} edit`,
      });
    }
    expect(await script(replicas[0]!.url)).toBe(
      [
        '200 #!ipxe',
        'kernel http://10.0.0.1:8080/assets/talos/v1.10.0/vmlinuz talos.platform=metal',
        'initrd http://10.0.0.1:8080/assets/talos/v1.10.0/initramfs.xz',
        'boot',
        '',
      ].join('\n'),
    );
    await kv.put(BUCKETS.bootIntents, UUID, { machineId: UUID, mode: 'disk', updatedAt: new Date().toISOString() });
    for (const r of replicas) {
      await waitFor(async () => (await script(r.url)) === '200 #!ipxe\nexit\n', {
        timeoutMs: 5_000,
        what: `${r.url} intent`,
      });
    }
    await kv.delete(BUCKETS.bootIntents, UUID);
    await kv.delete(BUCKETS.groups, 'default');
    for (const r of replicas) {
      await waitFor(async () => (await script(r.url)).startsWith('404 '), {
        timeoutMs: 5_000,
        what: `${r.url} no profile`,
      });
    }
  });

  it('publishes boot.script for the machine, naming the replica', async () => {
    const sub = writerBus.nc.subscribe(writerBus.names.qualify(`machine.boot.script.${UUID}`));
    await writerBus.nc.flush();
    await script(replicas[1]!.url);
    for await (const m of sub) {
      const decoded = decodeEvent(writerBus.names.local(m.subject)!, m.data);
      expect(decoded.ok).toBe(true);
      if (decoded.ok && decoded.kind === 'boot.script') {
        expect(decoded.event).toMatchObject({
          machineId: UUID,
          replica: 'replica-b',
          mac: MAC,
          status: 404,
          mode: 'none',
        });
      }
      break;
    }
  });
});
