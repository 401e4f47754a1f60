import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, createKvWriter, provision, type Bus } from '@metalbus/bus';
import { BUCKETS, decodeEvent } from '@metalbus/events';
import { createLogger } from '@metalbus/telemetry';
import { startNats, tmpDir, waitFor, type NatsServer, type TmpDir } from '@metalbus/testing';
import { createBootHttpApp, type BootHttpApp } from '../src/app.js';
import { assetsDirOf, bootHttpConfigSchema } from '../src/config.js';
import { startFakeFactory, type FakeFactory } from './fixtures/assets/fake-factory.js';

// The wiring in app.ts over a real NATS: TRUST_PROXY decides whose X-Forwarded-For is believed, DATA_DIR alone
// serves <DATA_DIR>/assets, and a boot intent put through KV warms its schematic before the machine asks.

const UUID = '6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d';
const MAC = '52:54:00:aa:bb:07';
const logger = createLogger({ service: 'boot-http-test', level: 'silent' });
let nats: NatsServer;
let dir: TmpDir;
let fake: FakeFactory;
let writer: Bus;
const apps: { bus: Bus; boot: BootHttpApp }[] = [];

async function startApp(env: Record<string, string>): Promise<BootHttpApp> {
  const config = bootHttpConfigSchema.parse({
    ...nats.env,
    DATA_DIR: join(dir.path, 'data'),
    CACHE_DIR: join(dir.path, `cache-${apps.length}`),
    FACTORY_URL: fake.url,
    FACTORY_PXE_URL: fake.url,
    AGENT_PROVIDER_ADDRESS: '10.0.0.2:50042',
    ...env,
  });
  const bus = await connectBus(config, { name: `app-${apps.length}`, logger });
  const boot = await createBootHttpApp({ config, bus, logger, registry: new Registry() });
  await boot.app.ready();
  apps.push({ bus, boot });
  await Promise.all(boot.views.map((v) => v.bootstrapped));
  return boot;
}

beforeAll(async () => {
  nats = await startNats();
  dir = await tmpDir('boot-http-app');
  fake = await startFakeFactory();
  await mkdir(join(dir.path, 'data', 'assets', 'talos'), { recursive: true });
  await writeFile(join(dir.path, 'data', 'assets', 'talos', 'hello.txt'), 'from the data dir\n');
  writer = await connectBus(bootHttpConfigSchema.parse({ ...nats.env }), { name: 'writer', logger });
  await provision(writer);
});

afterAll(async () => {
  for (const a of apps) {
    await a.boot.close();
    await a.bus.drain();
  }
  await writer?.drain();
  await fake?.close();
  await nats?.stop();
  await dir?.cleanup();
});

/** The remoteAddress of the boot.script event an /ipxe request from `peer` with X-Forwarded-For produces. */
async function recordedAddress(boot: BootHttpApp, peer: string): Promise<string | null> {
  const sub = writer.nc.subscribe(writer.names.qualify(`machine.boot.script.${UUID}`), { max: 1 });
  await writer.nc.flush();
  await boot.app.inject({
    method: 'GET',
    url: `/ipxe?uuid=${UUID}&mac=${MAC}`,
    remoteAddress: peer,
    headers: { host: '10.0.0.1:8080', 'x-forwarded-for': '203.0.113.9' },
  });
  for await (const m of sub) {
    const decoded = decodeEvent(writer.names.local(m.subject) ?? '', m.data);
    if (decoded.ok && decoded.kind === 'boot.script') return decoded.event.remoteAddress;
  }
  return null;
}

describe('boot-http app wiring', () => {
  it('TRUST_PROXY: X-Forwarded-For is ignored by default and believed only from the listed proxies', async () => {
    const plain = await startApp({});
    const proxied = await startApp({ TRUST_PROXY: '10.9.9.9, 192.0.2.0/24' });
    expect({
      byDefault: await recordedAddress(plain, '10.9.9.9'),
      fromProxy: await recordedAddress(proxied, '10.9.9.9'),
      fromProxyRange: await recordedAddress(proxied, '192.0.2.77'),
      fromOther: await recordedAddress(proxied, '10.1.1.1'),
    }).toEqual({
      byDefault: '10.9.9.9',
      fromProxy: '203.0.113.9',
      fromProxyRange: '203.0.113.9',
      fromOther: '10.1.1.1',
    });
  });

  it('DATA_DIR without ASSETS_DIR serves <DATA_DIR>/assets (Matchbox layout)', async () => {
    const res = await (apps[0] as { boot: BootHttpApp }).boot.app.inject({
      method: 'GET',
      url: '/assets/talos/hello.txt',
    });
    expect([res.statusCode, res.body]).toEqual([200, 'from the data dir\n']);
    // Done with these two: they would warm the intent of the next test too.
    for (const a of apps.splice(0)) {
      await a.boot.close();
      await a.bus.drain();
    }
  });

  it('a boot intent put through KV warms its schematic: /ipxe then answers without a new POST', async () => {
    const boot = await startApp({ ADVERTISE_URL: 'http://10.0.0.1:8080' });
    const posts0 = fake.posts.length;
    await createKvWriter(writer).put(BUCKETS.bootIntents, UUID, {
      machineId: UUID,
      mode: 'agent',
      updatedAt: new Date().toISOString(),
    });
    await waitFor(() => boot.views[0]?.get(UUID) !== undefined, { what: 'intent in the view' });
    await boot.warmer.idle();
    const warmedPosts = fake.posts.length - posts0;
    const res = await boot.app.inject({
      method: 'GET',
      url: `/ipxe?uuid=${UUID}&mac=${MAC}&arch=x86_64&bootstrap=1`,
    });
    await boot.warmer.idle();
    expect({
      status: res.statusCode,
      chain:
        /^#!ipxe\nchain --replace http:\/\/10\.0\.0\.1:8080\/factory\/pxe\/[0-9a-f]{64}\/v1\.13\.7\/metal-amd64\n$/.test(
          res.body,
        ),
      postsByThisRequest: fake.posts.length - posts0 - warmedPosts,
    }).toEqual({ status: 200, chain: true, postsByThisRequest: 0 });
  });

  it('assetsDirOf: ASSETS_DIR wins, then <DATA_DIR>/assets, then the packaged default', () => {
    expect([
      assetsDirOf({ ASSETS_DIR: '/srv/assets', DATA_DIR: '/var/lib/matchbox' }),
      assetsDirOf({ ASSETS_DIR: undefined, DATA_DIR: '/var/lib/matchbox' }),
      assetsDirOf({ ASSETS_DIR: undefined, DATA_DIR: undefined }),
    ]).toEqual(['/srv/assets', '/var/lib/matchbox/assets', '/var/lib/metalbus/assets']);
  });
});
