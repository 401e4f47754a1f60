import { collectDefaultMetrics, Registry } from 'prom-client';

/** `boot-http` → `metalbus_boot_http_`: the metric prefix of a service (Prometheus names allow no `-`). */
export function metricPrefix(service: string): string {
  return `metalbus_${service.replace(/[^a-zA-Z0-9_]/g, '_')}_`;
}

/** A fresh registry (never the prom-client global) with the Node process metrics under the service prefix. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: metricPrefix(service) });
  return registry;
}
