import { Counter, Histogram, type Registry } from 'prom-client';
import type { Arch, EventInput } from '@metalbus/events';
import type { ScriptMode } from './decide.js';

// After-response side effects of the script routes: metrics, and the `boot.script` event. Publishing is
// fire-and-forget through the bus's non-throwing tryPublish; nothing here can delay or fail a reply.

export type ScriptPublisher = (kind: 'boot.script', event: EventInput<'boot.script'>) => unknown;

export type ScriptRoute = 'boot.ipxe' | 'ipxe' | 'metadata' | 'generic' | 'config';

/** What a handler learned, read back in onResponse. */
export type Outcome = {
  route: ScriptRoute;
  mode: ScriptMode | null;
  profileId: string | null;
  groupId: string | null;
  machineId: string | null;
  mac: string | null;
  arch: Arch | null;
};

export type ScriptMetrics = {
  responses: Counter<'route' | 'status'>;
  scripts: Counter<'mode' | 'status'>;
  duration: Histogram<'route'>;
};

const PREFIX = 'metalbus_boot_http_';

/** The metrics on `registry`, created once per registry (the script and /config plugins share them). */
export function scriptMetrics(registry: Registry): ScriptMetrics {
  const existing = (name: string) => registry.getSingleMetric(`${PREFIX}${name}`);
  return {
    responses:
      (existing('script_responses_total') as Counter<'route' | 'status'> | undefined) ??
      new Counter({
        name: `${PREFIX}script_responses_total`,
        help: 'Responses of the script routes (/boot.ipxe, /ipxe, /metadata, /generic, /config) by route and HTTP status.',
        labelNames: ['route', 'status'],
        registers: [registry],
      }),
    scripts:
      (existing('scripts_total') as Counter<'mode' | 'status'> | undefined) ??
      new Counter({
        name: `${PREFIX}scripts_total`,
        help: '/ipxe answers by boot mode (agent, install, disk, profile, none, rejected, cordoned) and HTTP status.',
        labelNames: ['mode', 'status'],
        registers: [registry],
      }),
    duration:
      (existing('script_duration_seconds') as Histogram<'route'> | undefined) ??
      new Histogram({
        name: `${PREFIX}script_duration_seconds`,
        help: 'Time from request to response of the script routes.',
        labelNames: ['route'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
        registers: [registry],
      }),
  };
}

export type ObserveContext = {
  metrics: ScriptMetrics;
  publish: ScriptPublisher;
  replica: string;
  now: () => Date;
};

export function observeResponse(
  ctx: ObserveContext,
  outcome: Outcome,
  response: { status: number; elapsedMs: number; remoteAddress: string | null },
): void {
  const status = String(response.status);
  ctx.metrics.responses.inc({ route: outcome.route, status });
  ctx.metrics.duration.observe({ route: outcome.route }, response.elapsedMs / 1000);
  if (outcome.route !== 'ipxe') return;
  ctx.metrics.scripts.inc({ mode: outcome.mode ?? 'none', status });
  if (outcome.machineId === null) return;
  const event: EventInput<'boot.script'> = {
    schema: 1,
    machineId: outcome.machineId,
    at: ctx.now().toISOString(),
    mode: outcome.mode ?? 'none',
    status: response.status,
    profileId: outcome.profileId,
    groupId: outcome.groupId,
    replica: ctx.replica,
    mac: outcome.mac,
    arch: outcome.arch,
    remoteAddress: response.remoteAddress,
  };
  try {
    const result = ctx.publish('boot.script', event);
    // tryPublish does not throw; guard anyway so a misbehaving publisher cannot surface an unhandled rejection.
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // Events are best-effort (ARCHITECTURE.md principle 1).
  }
}
