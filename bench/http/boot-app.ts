/**
 * The real boot-http app for the script-endpoint benchmark (`bench/http.ts --app bench/http/boot-app.ts`): its
 * own nats-server, the seed-002 profile and a default group in KV, the KV views bootstrapped, and every served
 * script published to NATS as in production. Requests are answered from memory.
 */
import { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { connectBus, createKvWriter, provision } from '@metalbus/bus';
import { BUCKETS } from '@metalbus/events';
import { createLogger } from '@metalbus/telemetry';
import { startNats, tmpDir } from '@metalbus/testing';
import { createBootHttpApp } from '../../services/boot-http/src/app.js';
import { bootHttpConfigSchema } from '../../services/boot-http/src/config.js';

export const BENCH_UUID = '0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f';

export async function createBenchApp(): Promise<FastifyInstance> {
  const nats = await startNats();
  const dir = await tmpDir('metalbus-bench-boot-');
  const config = bootHttpConfigSchema.parse({
    ...nats.env,
    ASSETS_DIR: dir.path,
    CACHE_DIR: `${dir.path}/cache`,
    ADVERTISE_URL: 'http://10.0.0.1:8080',
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger({ service: 'boot-http', level: 'silent' });
  const bus = await connectBus(config, { name: 'boot-http-bench', logger });
  await provision(bus);
  const kv = createKvWriter(bus);
  await kv.put(BUCKETS.profiles, 'talos', {
    id: 'talos',
    boot: {
      kernel: '/assets/talos/v1.9.0/vmlinuz',
      initrd: ['/assets/talos/v1.9.0/initramfs.xz'],
      args: [
        'initrd=initramfs.xz',
        'console=ttyS0',
        'talos.platform=metal',
        'siderolink.api=grpc://192.0.2.8:8090?jointoken=bench',
        'talos.events.sink=[fdae:41e4:649b:9303::1]:8090',
        'talos.logging.kernel=tcp://[fdae:41e4:649b:9303::1]:8092',
      ],
    },
  });
  await kv.put(BUCKETS.groups, 'default', { id: 'default', profile: 'talos' });
  const boot = await createBootHttpApp({ config, bus, logger, registry: new Registry() });
  await Promise.all(boot.views.map((v) => v.bootstrapped));
  // Wait until the profile is visible in memory, so the first measured request is a real script.
  while (boot.views.some((v) => v.size === 0 && (v.bucket.endsWith('profiles') || v.bucket.endsWith('groups')))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  boot.app.addHook('onClose', async () => {
    await bus.drain();
    await nats.stop();
    await dir.cleanup();
  });
  return boot.app;
}
