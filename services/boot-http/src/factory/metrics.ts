import { Counter, Gauge, type Registry } from 'prom-client';
import type { FactoryCacheHooks } from './cache.js';

export interface FactoryMetrics {
  readonly cacheHooks: FactoryCacheHooks;
  schematic(result: 'cached' | 'joined' | 'created' | 'error'): void;
  pxeScript(result: 'cached' | 'joined' | 'fetched' | 'error'): void;
}

/** Registers the factory metrics (`metalbus_boot_http_factory_*`) on `registry`. Call once per registry. */
export function createFactoryMetrics(registry: Registry): FactoryMetrics {
  const p = 'metalbus_boot_http_factory_';
  const registers = [registry];
  const lookups = new Counter({
    name: `${p}cache_lookups_total`,
    help:
      'Image requests by cache result: hit (on disk), miss (started an upstream fetch), joined (fetch in flight), ' +
      'queued (waited for a download slot), failed-recently (a remembered upstream failure), busy (refused, 503).',
    labelNames: ['result'],
    registers,
  });
  const fetches = new Counter({
    name: `${p}upstream_fetches_total`,
    help: 'Upstream image downloads started.',
    registers,
  });
  const upstreamBytes = new Counter({
    name: `${p}upstream_bytes_total`,
    help: 'Body bytes received from the factory for image downloads.',
    registers,
  });
  const errors = new Counter({
    name: `${p}upstream_errors_total`,
    help: 'Upstream image downloads that failed, by error code (nothing is cached for them).',
    labelNames: ['code'],
    registers,
  });
  const cacheBytes = new Gauge({ name: `${p}cache_bytes`, help: 'Bytes of images in the disk cache.', registers });
  const cacheFiles = new Gauge({ name: `${p}cache_files`, help: 'Images in the disk cache.', registers });
  const evictions = new Counter({
    name: `${p}cache_evictions_total`,
    help: 'Images evicted from the disk cache (least recently used, over CACHE_MAX_BYTES).',
    registers,
  });
  const schematics = new Counter({
    name: `${p}schematic_requests_total`,
    help: 'ensureSchematic calls by result: cached, joined (POST in flight), created (POST sent), error.',
    labelNames: ['result'],
    registers,
  });
  const scripts = new Counter({
    name: `${p}pxe_script_requests_total`,
    help: 'Factory PXE script requests by result: cached, joined, fetched, error.',
    labelNames: ['result'],
    registers,
  });
  return {
    cacheHooks: {
      lookup: (result) => lookups.inc({ result }),
      upstreamStarted: () => fetches.inc(),
      upstreamBytes: (n) => upstreamBytes.inc(n),
      upstreamDone: (_key, error) => {
        if (error !== null) errors.inc({ code: error.code });
      },
      stored: (bytes, files) => {
        cacheBytes.set(bytes);
        cacheFiles.set(files);
      },
      evicted: () => evictions.inc(),
    },
    schematic: (result) => schematics.inc({ result }),
    pxeScript: (result) => scripts.inc({ result }),
  };
}
