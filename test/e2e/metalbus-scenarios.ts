import { stat } from 'node:fs/promises';
import { afterAll, expect } from 'vitest';
import { pendingEmergencies } from './harness/cleanup.js';
import { loadE2eConfig } from './harness/config.js';
import type { RecordedEvent } from './harness/events.js';
import { KERNEL_NAME } from './harness/metalbus-data.js';
import { metalbusStack, type MetalbusStack, type MetalbusStackOptions } from './harness/metalbus-stack.js';
import { leftovers } from './harness/netns.js';
import { allOf, checkFirmware, checkHost, checkMetalbusStack, guestAssets, warnSkipped } from './harness/preflight.js';
import { pxeBoot, startMachine, uniqueMarker, type PxeBootResult, type StartedMachine } from './harness/pxe-boot.js';
import { E2E_MACHINE, FIRMWARE_PROFILES, type Firmware } from './harness/qemu.js';
import { createRun, type E2eRun } from './harness/run.js';
import type { TraceStep } from './harness/trace.js';

// Shared by the metalbus *.e2e.test.ts files: preflight with loud skips, one run per scenario (namespace, site
// DHCP host, uplink for NATS) torn down on pass and failure, and the traces a boot must produce.

export const config = loadE2eConfig();
export const timeoutMs = config.METALBUS_E2E_BOOT_TIMEOUT_S * 1000;
export const assets = guestAssets(config);
/** Per test: boot timeout plus stack start-up (tsx compiling two services on a busy machine) and teardown. */
export const TEST_TIMEOUT_MS = timeoutMs + 90_000;

/** A second machine, for scenarios that boot two at once. */
export const SECOND_MACHINE = { uuid: '6d627573-0e2e-4b00-8000-00000000e2e2', mac: '52:54:00:6d:62:02' } as const;

export type Identity = { readonly uuid: string; readonly mac: string };

/** Can this file's scenarios run? Prints a loud block when not, so a skip never looks like a pass. */
export function preflight(file: string, firmwares: readonly Firmware[]): { ok: boolean } {
  const check = allOf(checkHost(config), checkMetalbusStack(config), ...firmwares.map((f) => checkFirmware(f)));
  if (!check.ok) warnSkipped(`metalbus PXE e2e scenarios (${file})`, check.reasons);
  return { ok: check.ok };
}

/** After the file: nothing of any run may be left registered for emergency cleanup. */
export function expectNothingPendingAfterAll(): void {
  afterAll(() => {
    expect(pendingEmergencies()).toEqual([]);
  });
}

/** One scenario's run: `body` gets it, teardown follows whatever happens, and nothing may be left behind. */
export async function inRun(label: string, body: (run: E2eRun) => Promise<void>): Promise<void> {
  const run = await createRun(config, label, { uplink: true, site: true });
  let passed = false;
  try {
    await body(run);
    passed = true;
  } finally {
    await run.teardown(passed);
  }
  expect(leftovers(run.ns.runId)).toEqual({ namespaces: [], links: [] });
}

export function stackOptions(extra: MetalbusStackOptions = {}): MetalbusStackOptions {
  return { capture: config.METALBUS_E2E_CAPTURE, ...extra };
}

/** Boot `firmware` against a fresh metalbus stack until the guest prints its command line. */
export async function bootOnMetalbus(
  run: E2eRun,
  firmware: Firmware,
  machine: Identity = E2E_MACHINE,
): Promise<PxeBootResult<MetalbusStack> & { marker: string }> {
  const marker = uniqueMarker(`metalbus-${firmware}`);
  const boot = await pxeBoot(run, {
    startStack: metalbusStack(stackOptions()),
    firmware,
    marker,
    assets,
    timeoutMs,
    machine,
  });
  logTimings(firmware, boot.stack.startMs, boot.timings.qemuStartToCmdlineMs, boot.timings.guestUptimeS);
  return { ...boot, marker };
}

/** Start the stack and the machine without waiting for a guest report (Omni disk mode never gets one). */
export async function startOnMetalbus(
  run: E2eRun,
  firmware: Firmware,
  extra: MetalbusStackOptions,
  machine: Identity = E2E_MACHINE,
): Promise<StartedMachine<MetalbusStack>> {
  const marker = uniqueMarker(`metalbus-${firmware}`);
  return startMachine(run, { startStack: metalbusStack(stackOptions(extra)), firmware, marker, assets, machine });
}

function logTimings(firmware: Firmware, stackMs: number, qemuMs: number, uptimeS: number | undefined): void {
  console.info(
    `[e2e] metalbus ${firmware} (${FIRMWARE_PROFILES[firmware].title}): stack up in ${(stackMs / 1000).toFixed(1)} s, ` +
      `QEMU start -> guest command line ${(qemuMs / 1000).toFixed(1)} s (guest uptime ${uptimeS ?? '?'} s)`,
  );
}

/** The command line the guest must see: the profile's arguments; the Linux EFI stub puts the image name first. */
export function expectedCmdline(firmware: Firmware, stack: MetalbusStack): string[] {
  return firmware === 'bios' ? [...stack.profile.args] : [KERNEL_NAME, ...stack.profile.args];
}

export async function sizeOf(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** The step dhcp-proxy publishes when a client already running iPXE gets the script URL on port 67. */
export function ipxeDiscovered(machine: Identity, clientArch: 0 | 7, stack: MetalbusStack): TraceStep {
  return {
    event: 'discovered',
    machineId: machine.uuid,
    uuid: machine.uuid,
    mac: machine.mac,
    arch: 'amd64',
    // QEMU's NIC ROM is iPXE, for SeaBIOS and for OVMF alike: the first DHCP client is already iPXE (option 77
    // "iPXE", option 175), so dhcp-proxy classes it `ipxe` and hands it the script URL. BIOS and UEFI differ in
    // option 93, the client architecture: 0 (x86 BIOS) or 7 (x64 UEFI).
    firmware: 'ipxe',
    clientArch,
    isIpxe: true,
    messageType: 'discover',
    port: 67,
    bootFile: stack.scriptUrl,
  };
}

/** boot-http's steps for a machine its group selects: the profile's script, then kernel and initramfs. */
export async function profileBootSteps(machine: Identity, stack: MetalbusStack): Promise<TraceStep[]> {
  const asset = async (path: string, kind: 'kernel' | 'initrd', file: string): Promise<TraceStep> => ({
    event: 'boot.asset',
    machineId: machine.uuid,
    transport: 'http',
    path,
    kind,
    status: 200,
    bytes: await sizeOf(file),
    source: 'local',
  });
  return [
    {
      event: 'boot.script',
      machineId: machine.uuid,
      mode: 'profile',
      status: 200,
      profileId: stack.profile.id,
      groupId: stack.profile.groupId,
      mac: machine.mac,
      arch: 'amd64',
    },
    await asset(stack.assetPaths.kernel, 'kernel', assets.kernelPath),
    await asset(stack.assetPaths.initrd, 'initrd', assets.initrdPath),
  ];
}

/** Resolves once the initramfs's boot.asset event is in: the last event a profile boot produces. */
export function initrdServed(stack: MetalbusStack, machine: Identity): Promise<RecordedEvent> {
  return stack.events.waitFor(
    (e) =>
      e.subject === `machine.boot.asset.${machine.uuid}` &&
      typeof e.data === 'object' &&
      e.data !== null &&
      (e.data as { path?: unknown }).path === stack.assetPaths.initrd,
    10_000,
  );
}

/** The trace's events that carry a W3C traceparent header (logged, not asserted: see the README). */
export function withTraceparent(events: readonly RecordedEvent[]): number {
  return events.filter((e) => e.traceparent !== undefined).length;
}
