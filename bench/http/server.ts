/**
 * boot-http's asset half as a standalone process for the benchmark (`node --import tsx bench/http/server.ts
 * '<json>'`): /assets, /ipxe-bin and /factory, wired as the lead wires them, with a no-op publish. With `appModule`
 * it instead serves the app the module's `createBenchApp()` returns (the hook for the lead's script endpoint).
 * Prints `listening <port>` when ready; exits on SIGTERM.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { assetsConfigSchema } from '../../services/boot-http/src/assets/config.js';
import { assetRoutes } from '../../services/boot-http/src/assets/local-routes.js';
import { ipxeBinRoutes } from '../../services/boot-http/src/assets/ipxe-routes.js';
import { createAssetReporter } from '../../services/boot-http/src/assets/report.js';
import { factoryConfigSchema } from '../../services/boot-http/src/factory/config.js';
import { factoryRoutes } from '../../services/boot-http/src/factory/routes.js';
import { createFactory, type FactoryService } from '../../services/boot-http/src/factory/service.js';

export interface BenchServerConfig {
  readonly assetsDir: string;
  readonly ipxeDir: string;
  readonly factoryUrl: string;
  readonly cacheDir: string;
  readonly chunkBytes?: number;
  readonly appModule?: string;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as BenchServerConfig;
const silent = { info: () => undefined, warn: () => undefined, debug: () => undefined };
let factory: FactoryService | null = null;
let app: FastifyInstance;

if (cfg.appModule !== undefined) {
  const mod = (await import(cfg.appModule)) as { createBenchApp: () => Promise<FastifyInstance> };
  app = await mod.createBenchApp();
} else {
  const registry = new Registry();
  let published = 0;
  const reporter = createAssetReporter({
    registry,
    // The lead's publish encodes and hands the event to NATS; here we pay for the event object only.
    publish: () => void published++,
    resolveMachine: () => 'mac-aabbccddeeff',
    replica: 'bench',
  });
  factory = await createFactory({
    config: factoryConfigSchema.parse({
      FACTORY_URL: cfg.factoryUrl,
      FACTORY_PXE_URL: cfg.factoryUrl,
      CACHE_DIR: cfg.cacheDir,
      CACHE_MAX_BYTES: '100GiB',
    }),
    registry,
    logger: silent,
    ...(cfg.chunkBytes === undefined ? {} : { chunkBytes: cfg.chunkBytes }),
  });
  app = Fastify({ logger: false });
  const chunk = cfg.chunkBytes === undefined ? {} : { chunkBytes: cfg.chunkBytes };
  // The service's default memory budget for whole files (ASSETS_MEMORY_BYTES), as `boot-http` runs.
  const memoryBytes = assetsConfigSchema.parse({}).ASSETS_MEMORY_BYTES;
  await app.register(assetRoutes, { root: cfg.assetsDir, reporter, memoryBytes, ...chunk });
  await app.register(ipxeBinRoutes, { amd64Dir: cfg.ipxeDir, reporter });
  await app.register(factoryRoutes, { factory, reporter });
  // The anchor figures' fastify reference: a route returning a 300-byte string, for a same-sitting baseline.
  const small = `${'x'.repeat(299)}\n`;
  app.get('/bench/small', async () => small);
}

await app.listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`);
process.once('SIGTERM', () => {
  void (async () => {
    await app.close();
    await factory?.close();
    process.exit(0);
  })();
});
