import type { BootDevice, BootFirmware } from '@metalbus/events';
import type { BmcError } from '../drivers/driver.js';
import { isAmiFutureStateError, mentionsProperty, type RedfishFailure } from './classify.js';
import type { RedfishClient } from './client.js';
import type { ComputerSystem } from './schemas.js';

/** The `Boot` object we PATCH (ComputerSystem.Boot, DMTF ComputerSystem schema). */
export interface BootPatch {
  BootSourceOverrideEnabled: 'Once' | 'Disabled';
  BootSourceOverrideTarget?: 'Pxe' | 'Hdd';
  BootSourceOverrideMode?: 'UEFI' | 'Legacy';
}

export type BootPatchResult = { ok: true; value: BootPatch } | { ok: false; reason: string };

/**
 * Pure: the one-time override for a device/firmware on this system. The mode is left out when configured off,
 * when this BMC already refused it once, or when the system's allowable modes do not list it (then the
 * machine boots in the mode it is in). A target the system does not allow is refused before sending.
 */
export function buildBootOnce(
  device: BootDevice,
  firmware: BootFirmware,
  system: ComputerSystem,
  sendMode: boolean,
): BootPatchResult {
  const target = device === 'pxe' ? 'Pxe' : 'Hdd';
  const boot = system.Boot ?? {};
  const targets = boot['BootSourceOverrideTarget@Redfish.AllowableValues'];
  if (targets !== null && targets !== undefined && !targets.includes(target)) {
    return { ok: false, reason: `boot override target ${target} not allowed (allowed: ${targets.join(', ')})` };
  }
  const patch: BootPatch = { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: target };
  const mode = firmware === 'uefi' ? 'UEFI' : 'Legacy';
  const modes = boot['BootSourceOverrideMode@Redfish.AllowableValues'];
  if (sendMode && (modes === null || modes === undefined || modes.includes(mode))) patch.BootSourceOverrideMode = mode;
  return { ok: true, value: patch };
}

export const CLEAR_BOOT: BootPatch = { BootSourceOverrideEnabled: 'Disabled' };

export interface BootWriteContext {
  client: RedfishClient;
  systemPath: string;
  /** `@Redfish.Settings.SettingsObject` of the system, when it has one. */
  settingsPath: string | null;
  amiLike: boolean;
  operation: string;
  signal: AbortSignal;
  /** Called once the BMC accepted the override only without BootSourceOverrideMode. */
  onModeRefused: () => void;
  /** Called when a fallback place is tried, for debug logs. */
  onFallback: (place: 'settings' | 'ami-sd', why: string) => void;
}

type PlaceResult = { ok: true } | { ok: false; failure: RedfishFailure; error: BmcError };

/**
 * Writes a Boot override, falling back in this order:
 * 1. PATCH the system (with If-Match only if the BMC demands it: 428);
 * 2. if refused and the system has `@Redfish.Settings`: PATCH its SettingsObject with `If-Match: <ETag>`;
 * 3. if still refused and the BMC is AMI-like (root says so, or it answered
 *    `Ami.1.0.OperationSupportedInFutureStateURI`): PATCH `<system>/SD` with `If-Match: <ETag>`.
 * At each place a refusal of BootSourceOverrideMode is retried once without the mode. A 412 (stale ETag)
 * re-reads the ETag and retries once. Errors other than a refusal (auth, busy, timeout) stop at once.
 */
export async function writeBoot(ctx: BootWriteContext, boot: BootPatch): Promise<void> {
  const first = await patchPlace(ctx, ctx.systemPath, boot, false);
  if (first.ok) return;
  if (!isRefusal(first.failure)) throw first.error;
  let last = first;

  if (ctx.settingsPath !== null && ctx.settingsPath !== ctx.systemPath) {
    ctx.onFallback('settings', first.failure.detail);
    const settings = await patchPlace(ctx, ctx.settingsPath, boot, true);
    if (settings.ok) return;
    if (!isRefusal(settings.failure)) throw settings.error;
    last = settings;
  }

  const sdPath = `${ctx.systemPath.replace(/\/+$/, '')}/SD`;
  const ami = ctx.amiLike || isAmiFutureStateError(first.failure) || isAmiFutureStateError(last.failure);
  if (ami && sdPath !== ctx.settingsPath) {
    ctx.onFallback('ami-sd', last.failure.detail);
    const sd = await patchPlace(ctx, sdPath, boot, true);
    if (sd.ok) return;
    last = sd;
  }
  throw last.error;
}

/** A "not like this" answer that another place or a smaller body may get past. */
function isRefusal(failure: RedfishFailure): boolean {
  return failure.code === 'unsupported' || isAmiFutureStateError(failure);
}

/** Did the refusal (possibly) concern the mode? Generic refusals count: some BMCs reject it without saying. */
function blamesMode(failure: RedfishFailure): boolean {
  if (isAmiFutureStateError(failure)) return false;
  if (mentionsProperty(failure, 'BootSourceOverrideMode')) return true;
  return failure.relatedProperties.length === 0;
}

async function patchPlace(
  ctx: BootWriteContext,
  path: string,
  boot: BootPatch,
  needEtag: boolean,
): Promise<PlaceResult> {
  const result = await patchWithEtag(ctx, path, boot, needEtag);
  if (result.ok || boot.BootSourceOverrideMode === undefined) return result;
  if (!isRefusal(result.failure) || !blamesMode(result.failure)) return result;
  const { BootSourceOverrideMode: _refused, ...withoutMode } = boot;
  const retry = await patchWithEtag(ctx, path, withoutMode, needEtag);
  if (retry.ok) ctx.onModeRefused();
  return retry;
}

/**
 * PATCH with optimistic concurrency (DSP0266, "ETags"): If-Match carries the ETag read just before.
 * A 428 (the BMC requires If-Match and we sent none) and a 412 (our ETag went stale) each re-read the ETag
 * and retry once.
 */
async function patchWithEtag(
  ctx: BootWriteContext,
  path: string,
  boot: BootPatch,
  needEtag: boolean,
): Promise<PlaceResult> {
  let etag = needEtag ? await readEtag(ctx, path) : null;
  let retried428 = false;
  let retried412 = false;
  for (;;) {
    const answer = await ctx.client.send({
      method: 'PATCH',
      path,
      body: { Boot: boot },
      ifMatch: etag,
      signal: ctx.signal,
      operation: ctx.operation,
    });
    if (answer.failure === null) return { ok: true };
    if (answer.status === 428 && etag === null && !retried428) {
      retried428 = true;
    } else if (answer.status === 412 && !retried412) {
      retried412 = true;
    } else {
      return { ok: false, failure: answer.failure, error: ctx.client.errorFor(answer, ctx.operation, `PATCH ${path}`) };
    }
    etag = await readEtag(ctx, path);
  }
}

async function readEtag(ctx: BootWriteContext, path: string): Promise<string | null> {
  const answer = await ctx.client.send({ method: 'GET', path, signal: ctx.signal, operation: ctx.operation });
  if (answer.failure !== null) throw ctx.client.errorFor(answer, ctx.operation, `GET ${path}`);
  return answer.etag;
}
