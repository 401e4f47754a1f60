import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { findNatsServer } from '@metalbus/testing';
import type { E2eConfig } from './config.js';
import { runCommandSync } from './processes.js';
import { FIRMWARE_PROFILES, type Firmware } from './qemu.js';

export type HostCheck = { ok: true } | { ok: false; reasons: readonly string[] };

/** Where .ci/e2e-assets.sh leaves the guest kernel and initramfs. */
export function guestAssets(config: E2eConfig): { kernelPath: string; initrdPath: string } {
  return {
    kernelPath: join(config.METALBUS_E2E_CACHE, 'vmlinuz'),
    initrdPath: join(config.METALBUS_E2E_CACHE, 'initrd.cpio.gz'),
  };
}

/** Can this host run PXE scenarios at all: root, namespaces, taps, QEMU, dnsmasq, the guest artefacts? */
export function checkHost(config: E2eConfig): HostCheck {
  const reasons: string[] = [];
  if (process.getuid?.() !== 0) reasons.push('not running as root (network namespaces and tap devices need root)');
  if (!existsSync('/dev/net/tun')) reasons.push('/dev/net/tun is missing (QEMU cannot create its tap device)');
  const netns = runCommandSync(['ip', 'netns', 'list']);
  if (!netns.ok) reasons.push(`\`ip netns\` does not work: ${netns.stderr.trim() || 'iproute2 missing?'}`);
  for (const [tool, pkg] of [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['dnsmasq', 'dnsmasq-base'],
    ['setpriv', 'util-linux'],
  ] as const) {
    if (!runCommandSync([tool, '--version']).ok) reasons.push(`${tool} is not installed (Debian package ${pkg})`);
  }
  for (const file of Object.values(guestAssets(config))) {
    if (!readable(file)) reasons.push(`${file} is missing: run .ci/e2e-assets.sh as root first`);
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/** Firmware files a scenario needs, plus any `extraFiles` its stack needs; a missing one skips the scenario. */
export function checkFirmware(firmware: Firmware, extraFiles: readonly string[] = []): HostCheck {
  const missing = [...FIRMWARE_PROFILES[firmware].files, ...extraFiles].filter((f) => !readable(f));
  return missing.length === 0 ? { ok: true } : { ok: false, reasons: missing.map((f) => `${f} is missing`) };
}

/** What the metalbus stack needs on top of checkHost: a NATS server, and tcpdump when capturing. */
export function checkMetalbusStack(config: E2eConfig): HostCheck {
  const reasons: string[] = [];
  if (findNatsServer('') === null) reasons.push('nats-server is not installed (Debian package nats-server)');
  if (config.METALBUS_E2E_CAPTURE && !runCommandSync(['tcpdump', '--version']).ok) {
    reasons.push('METALBUS_E2E_CAPTURE is on but tcpdump is not installed (Debian package tcpdump)');
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/** Every check's reasons together. */
export function allOf(...checks: readonly HostCheck[]): HostCheck {
  const reasons = checks.flatMap((c) => (c.ok ? [] : c.reasons));
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/** Print why scenarios are skipped so that a skip can never pass for a success. Returns the message. */
export function warnSkipped(what: string, reasons: readonly string[]): string {
  const bar = '!'.repeat(100);
  const message = [
    bar,
    `!! SKIPPED: ${what}`,
    ...reasons.map((r) => `!!   - ${r}`),
    '!! These PXE end-to-end scenarios did NOT run. See test/e2e/README.md for what they need.',
    bar,
  ].join('\n');
  console.warn(`\n${message}\n`);
  return message;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
