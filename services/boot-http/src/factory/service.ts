import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import { FactoryCache } from './cache.js';
import type { FactoryConfig } from './config.js';
import { createFactoryMetrics } from './metrics.js';
import { createPxeScriptSource, type PxeScriptSource } from './pxe-scripts.js';
import { createSchematicClient, type SchematicPort } from './schematic.js';
import { createUpstream, type Upstream } from './upstream.js';

export type FactoryLogger = Pick<FastifyBaseLogger, 'warn' | 'info' | 'debug'>;

export interface FactoryServiceOptions {
  readonly config: FactoryConfig;
  readonly registry: Registry;
  readonly logger: FactoryLogger;
  /** Tests and benchmarks may bring their own agent; by default one keep-alive undici Agent is created. */
  readonly upstream?: Upstream;
  /** Read size for cache readers. */
  readonly chunkBytes?: number;
  /** Clock of the failed-download memo (tests). */
  readonly now?: () => number;
}

/** Everything factory-related the lead wires: the schematic port (for the script side), scripts, the cache. */
export interface FactoryService {
  readonly schematics: SchematicPort;
  readonly pxeScripts: PxeScriptSource;
  readonly cache: FactoryCache;
  /** Upstream URL of an image cache key (`image/<id>/<version>/<file>`). */
  imageUrl(key: string): string;
  /** Abort downloads in flight and close the upstream connections. */
  close(): Promise<void>;
}

export async function createFactory(opts: FactoryServiceOptions): Promise<FactoryService> {
  const { config, logger } = opts;
  const metrics = createFactoryMetrics(opts.registry);
  const upstream = opts.upstream ?? createUpstream({ connectTimeoutMs: config.FACTORY_TIMEOUT_MS });
  const cache = new FactoryCache({
    dir: config.CACHE_DIR,
    maxBytes: config.CACHE_MAX_BYTES,
    dispatcher: upstream.get,
    idleTimeoutMs: config.FACTORY_IMAGE_IDLE_TIMEOUT_MS,
    maxDownloads: config.FACTORY_MAX_DOWNLOADS,
    maxQueued: config.FACTORY_DOWNLOAD_QUEUE,
    failureTtlMs: config.FACTORY_FAILURE_TTL_MS,
    ...(opts.chunkBytes === undefined ? {} : { chunkBytes: opts.chunkBytes }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
    hooks: {
      ...metrics.cacheHooks,
      upstreamStarted: (key) => {
        metrics.cacheHooks.upstreamStarted?.(key);
        logger.info({ key }, 'factory image: fetching from upstream');
      },
      upstreamDone: (key, error) => {
        metrics.cacheHooks.upstreamDone?.(key, error);
        if (error === null) logger.info({ key }, 'factory image: cached');
        else logger.warn({ key, code: error.code, err: error.message }, 'factory image: upstream fetch failed');
      },
    },
  });
  await cache.init();
  const schematics = createSchematicClient({
    baseUrl: config.FACTORY_URL,
    dispatcher: upstream.post,
    timeoutMs: config.FACTORY_TIMEOUT_MS,
    observe: metrics.schematic,
  });
  const pxeScripts = createPxeScriptSource({
    baseUrl: config.FACTORY_PXE_URL,
    dispatcher: upstream.get,
    timeoutMs: config.FACTORY_TIMEOUT_MS,
    observe: metrics.pxeScript,
  });
  return {
    schematics,
    pxeScripts,
    cache,
    imageUrl: (key) => `${config.FACTORY_URL}/${key}`,
    async close() {
      cache.close();
      await upstream.close();
    },
  };
}
