import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Bus, View } from '@metalbus/bus';
import {
  bootIntentSchema,
  BUCKETS,
  groupSchema,
  joinConfigSchema,
  profileSchema,
  templateRecordSchema,
  type Arch,
} from '@metalbus/events';
import { createGroupIndexCache } from '@metalbus/matchbox';
import type { Logger } from '@metalbus/telemetry';
import { assetRoutes, createAssetReporter, ipxeBinRoutes } from './assets/index.js';
import { assetsDirOf, type BootHttpConfig } from './config.js';
import { joinConfigRoutes } from './config-route/join-config.js';
import { createFactory, factoryRoutes, type FactoryService } from './factory/index.js';
import { createMachineByAddress } from './machine-by-address.js';
import {
  createRequestHints,
  scriptRoutes,
  scriptSettingsFromConfig,
  warmSchematics,
  type SchematicWarmer,
  type ScriptState,
} from './scripts/index.js';

export type BootHttpApp = {
  app: FastifyInstance;
  views: readonly View<unknown>[];
  factory: FactoryService;
  /** Creates the schematics of new agent/install intents ahead of /ipxe (idle() for tests). */
  warmer: SchematicWarmer;
  close(): Promise<void>;
};

/**
 * The boot-http Fastify app over in-memory KV views: scripts (/boot.ipxe, /ipxe, Matchbox paths), /config,
 * local assets, iPXE binaries and the Image Factory cache. Every route answers from memory; events go out with
 * tryPublish after the response.
 */
export async function createBootHttpApp(opts: {
  config: BootHttpConfig;
  bus: Bus;
  logger: Logger;
  registry: Registry;
}): Promise<BootHttpApp> {
  const { config, bus, logger, registry } = opts;
  const settings = scriptSettingsFromConfig(config);
  const assetsDir = assetsDirOf(config);
  const factory = await createFactory({ config, registry, logger: logger.child({ module: 'factory' }) });
  const hints = createRequestHints();
  const groupIndex = createGroupIndexCache(() => Array.from(groups.entries(), ([, g]) => g));
  // The first change arrives over the network, after `warmer` below is initialised.
  const intents = bus.view(BUCKETS.bootIntents, bootIntentSchema, { onChange: (change) => warmer(change) });
  const profiles = bus.view(BUCKETS.profiles, profileSchema);
  const groups = bus.view(BUCKETS.groups, groupSchema, { onChange: () => groupIndex.invalidate() });
  const templates = bus.view(BUCKETS.templates, templateRecordSchema);
  const provider = bus.view(BUCKETS.provider, joinConfigSchema);
  const views = [intents, profiles, groups, templates, provider] as const;
  const state: ScriptState = { intents, profiles, groups: groupIndex, templates, provider };
  const warmer = warmSchematics({
    state,
    settings,
    factory: factory.schematics,
    hints,
    logger: logger.child({ module: 'schematic-warm' }),
    registry,
  });

  const replica = config.REPLICA_NAME ?? hostname();
  const machines = createMachineByAddress();
  const app = Fastify({
    loggerInstance: logger.child({ module: 'http' }) as FastifyBaseLogger,
    // A line per request would cost more than the script itself; events and metrics cover requests.
    logController: new LogController({ disableRequestLogging: true }),
    // request.ip feeds events and asset attribution: X-Forwarded-For only from the proxies TRUST_PROXY names.
    trustProxy: config.TRUST_PROXY,
  });
  const reporter = createAssetReporter({
    registry,
    replica,
    publish: (kind, event) => bus.tryPublish(kind, event),
    resolveMachine: (req) => machines.lookup(req.ip),
  });

  await app.register(scriptRoutes, {
    state,
    settings,
    factory: factory.schematics,
    hints,
    readCmdline: async (arch: Arch) => (await readFile(join(assetsDir, `cmdline-metal-${arch}`), 'utf8')).trim(),
    publish: (kind, event) => {
      machines.remember(event.remoteAddress ?? null, event.machineId);
      bus.tryPublish(kind, event);
    },
    registry,
    replica,
  });
  await app.register(joinConfigRoutes, { provider, registry });
  await app.register(assetRoutes, { root: assetsDir, reporter, memoryBytes: config.ASSETS_MEMORY_BYTES });
  await app.register(ipxeBinRoutes, {
    amd64Dir: config.IPXE_DIR,
    ...(config.IPXE_ARM64_DIR !== undefined && { arm64Dir: config.IPXE_ARM64_DIR }),
    reporter,
  });
  await app.register(factoryRoutes, { factory, reporter, publicBaseUrl: config.ADVERTISE_URL ?? null });

  return {
    app,
    views,
    factory,
    warmer,
    close: async () => {
      await app.close();
      await factory.close();
      await Promise.all(views.map((v) => v.stop()));
    },
  };
}
