import type { PowerState } from '@metalbus/events';

/** Our power operations, as the driver interface names them. */
export const RESET_OPS = ['on', 'off', 'softOff', 'cycle', 'reset'] as const;
export type ResetOp = (typeof RESET_OPS)[number];

/**
 * What to POST to `ComputerSystem.Reset` (ResetType values from the DMTF `Resource.ResetType` enum).
 * - `single`: one Reset with this ResetType.
 * - `off-then-on`: Reset `off`, wait until PowerState reads Off, then Reset `on` (a cycle built from parts).
 * - `unsupported`: none of the acceptable values is allowed by this BMC.
 */
export type ResetPlan =
  | { kind: 'single'; resetType: string }
  | { kind: 'off-then-on'; off: string; on: string }
  | { kind: 'unsupported'; wanted: readonly string[] };

/**
 * Preference order per operation; the first value the BMC allows wins.
 * - on: `On`, else `ForceOn` (same effect for a system that is off).
 * - off: `ForceOff` only — hard off must not silently become a request the OS may ignore.
 * - softOff: `GracefulShutdown` only — `PushPowerButton` toggles, so it would power on a machine that is off.
 * - cycle: `PowerCycle`, else ForceOff/ForceOn-style off-then-on.
 * - reset: `ForceRestart`; else `PowerCycle` (still hard, unlike the next); else `GracefulRestart` (needs a
 *   cooperating OS, which a machine in firmware or PXE may not have); else off-then-on.
 */
const SINGLE: Readonly<Record<ResetOp, readonly string[]>> = {
  on: ['On', 'ForceOn'],
  off: ['ForceOff'],
  softOff: ['GracefulShutdown'],
  cycle: ['PowerCycle'],
  reset: ['ForceRestart', 'PowerCycle', 'GracefulRestart'],
};
const COMPOSABLE: ReadonlySet<ResetOp> = new Set(['cycle', 'reset']);

/**
 * Pure: pick the Reset request(s) for an operation. `allowable` is the BMC's
 * `ResetType@Redfish.AllowableValues` (or ActionInfo); null when it does not say, in which case the
 * first preference is sent and the BMC's answer decides.
 */
export function planReset(op: ResetOp, allowable: readonly string[] | null): ResetPlan {
  const preferred = SINGLE[op];
  if (allowable === null) return { kind: 'single', resetType: preferred[0] ?? 'On' };
  const allowed = new Set(allowable);
  const single = preferred.find((value) => allowed.has(value));
  if (single !== undefined) return { kind: 'single', resetType: single };
  if (COMPOSABLE.has(op) && allowed.has('ForceOff')) {
    const on = ['On', 'ForceOn'].find((value) => allowed.has(value));
    if (on !== undefined) return { kind: 'off-then-on', off: 'ForceOff', on };
  }
  const wanted = COMPOSABLE.has(op) ? [...preferred, 'ForceOff+On'] : preferred;
  return { kind: 'unsupported', wanted };
}

/**
 * Redfish `PowerState` → ours. PoweringOn counts as on (power is applied). PoweringOff also counts as on:
 * the `Resource.PowerState` schema describes it as the OS still shutting down, so power is not off yet and a
 * soft-off must not look done early. Paused is a powered state. Anything else (absent, null, new) is unknown.
 */
export function powerStateOf(value: string | null | undefined): PowerState {
  switch (value) {
    case 'On':
    case 'PoweringOn':
    case 'PoweringOff':
    case 'Paused':
      return 'on';
    case 'Off':
      return 'off';
    default:
      return 'unknown';
  }
}
