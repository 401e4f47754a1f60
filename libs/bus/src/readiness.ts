import type { ReadinessCheck } from '@metalbus/telemetry';
import type { BusCore } from './core.js';
import type { View } from './view.js';

/** Readiness checks for /readyz: NATS connected, and each view bootstrapped (named `view:<bucket>`). */
export function busReadiness(
  bus: Pick<BusCore, 'isConnected'>,
  views: readonly View<unknown>[] = [],
): ReadinessCheck[] {
  return [
    { name: 'nats', ok: bus.isConnected(), ...(!bus.isConnected() && { detail: 'disconnected' }) },
    ...views.map((v) => ({
      name: `view:${v.bucket}`,
      ok: v.isBootstrapped(),
      ...(!v.isBootstrapped() && { detail: 'bootstrapping' }),
    })),
  ];
}
