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
import type { BootHttpConfig } from './config.js';
import { joinConfigRoutes } from './config-route/join-config.js';
import { createFactory, factoryRoutes, type FactoryService } from './factory/index.js';
import { createMachineByAddress } from './machine-by-address.js';
import { scriptRoutes, scriptSettingsFromConfig, type ScriptState } from './scripts/index.js';

export type BootHttpApp = {
  app: FastifyInstance;
  views: readonly View<unknown>[];
  factory: FactoryService;
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
  const groupIndex = createGroupIndexCache(() => Array.from(groups.entries(), ([, g]) => g));
  const intents = bus.view(BUCKETS.bootIntents, bootIntentSchema);
  const profiles = bus.view(BUCKETS.profiles, profileSchema);
  const groups = bus.view(BUCKETS.groups, groupSchema, { onChange: () => groupIndex.invalidate() });
  const templates = bus.view(BUCKETS.templates, templateRecordSchema);
  const provider = bus.view(BUCKETS.provider, joinConfigSchema);
  const views = [intents, profiles, groups, templates, provider] as const;
  const state: ScriptState = { intents, profiles, groups: groupIndex, templates, provider };

  const replica = config.REPLICA_NAME ?? hostname();
  const machines = createMachineByAddress();
  const app = Fastify({
    loggerInstance: logger.child({ module: 'http' }) as FastifyBaseLogger,
    // A line per request would cost more than the script itself; events and metrics cover requests.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: true,
  });
  const reporter = createAssetReporter({
    registry,
    replica,
    publish: (kind, event) => bus.tryPublish(kind, event),
    resolveMachine: (req) => machines.lookup(req.ip),
  });
  const factory = await createFactory({ config, registry, logger: logger.child({ module: 'factory' }) });

  await app.register(scriptRoutes, {
    state,
    settings: scriptSettingsFromConfig(config),
    factory: factory.schematics,
    readCmdline: async (arch: Arch) =>
      (await readFile(join(config.ASSETS_DIR, `cmdline-metal-${arch}`), 'utf8')).trim(),
    publish: (kind, event) => {
      machines.remember(event.remoteAddress ?? null, event.machineId);
      bus.tryPublish(kind, event);
    },
    registry,
    replica,
  });
  await app.register(joinConfigRoutes, { provider, registry });
  await app.register(assetRoutes, { root: config.ASSETS_DIR, reporter });
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
    close: async () => {
      await app.close();
      await factory.close();
      await Promise.all(views.map((v) => v.stop()));
    },
  };
}
