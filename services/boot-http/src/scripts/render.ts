import type { Arch } from '@metalbus/events';
import type { DiskBootMethod } from './settings.js';

// Pure renderers of the iPXE scripts boot-http answers (reference 4.2/4.3 for the Omni-mode ones).

export const IPXE_EXIT = '#!ipxe\nexit\n';
export const IPXE_SANBOOT = '#!ipxe\nsanboot --no-describe --drive 0x80\n';

/**
 * Why /ipxe has no script for a machine. Each is a fixed text with no request data in it, because the stop script
 * echoes it: a label value on an iPXE line could expand `${…}` settings or start a new command.
 */
export const STOP_REASONS = {
  cordoned: 'machine is cordoned',
  rejected: 'machine is rejected',
  disk: 'boot intent is disk, trying the next boot device',
  'no-match': 'no boot intent, group or default profile matched',
  'profile-missing': 'the selected profile does not exist',
  'no-boot-section': 'the selected profile has no boot section',
  'bad-request': 'boot request refused (see the boot-http log)',
} as const;
export type StopReason = keyof typeof STOP_REASONS;

/** The disk-mode answer: a script, or an empty 404 so the firmware moves on to its next boot device. */
export function diskAnswer(method: DiskBootMethod): { status: number; body: string; stop: StopReason | null } {
  switch (method) {
    case 'exit':
      return { status: 200, body: IPXE_EXIT, stop: null };
    case 'sanboot':
      return { status: 200, body: IPXE_SANBOOT, stop: null };
    case 'http-404':
      return { status: 404, body: '', stop: 'disk' };
  }
}

/**
 * What /ipxe answers a /boot.ipxe chain (it carries BOOTSTRAP_FLAG) instead of a deliberate 404: iPXE's `chain`
 * cannot tell a 404 from a dead server, so a 404 would run the whole retry loop. `exit 1` ends iPXE with a failure
 * status and the firmware tries its next boot device: UEFI section 3.1.1 (Boot Manager Programming) moves on to the
 * next Boot#### entry when a boot option returns an error (EFI_SUCCESS may stop at a boot menu instead, hence 1);
 * a BIOS PXE ROM hands back to the BIOS boot order. For DISK_BOOT_METHOD=http-404 that is exactly the intent.
 */
export function stopScript(reason: StopReason): string {
  return `#!ipxe\necho metalbus: ${STOP_REASONS[reason]}\nexit 1\n`;
}

/** The query flag /boot.ipxe adds to its chain to /ipxe; kept out of the Matchbox labels. */
export const BOOTSTRAP_FLAG = 'bootstrap';

/** Our own path that serves the factory's PXE script with asset URLs rewritten to our cache (src/factory). */
export function factoryPxePath(schematicId: string, talosVersion: string, arch: Arch, secureBoot: boolean): string {
  return `/factory/pxe/${schematicId}/${talosVersion}/metal-${arch}${secureBoot ? '-secureboot' : ''}`;
}

export function chainScript(url: string): string {
  return `#!ipxe\nchain --replace ${url}\n`;
}

/** Agent mode from local assets: `kernel-<arch>` with the cmdline file's arguments, then the agent arguments. */
export function localAgentScript(base: string, arch: Arch, cmdline: string, args: readonly string[]): string {
  const line = [`${base}/assets/kernel-${arch}`, cmdline, ...args].filter((part) => part !== '').join(' ');
  return `#!ipxe\nimgfree\nkernel ${line}\ninitrd ${base}/assets/initramfs-metal-${arch}.xz\nboot\n`;
}

export type BootstrapOptions = { attempts: number; backoffMaxSeconds: number };

/**
 * /boot.ipxe: re-chain to /ipxe with the machine's facts (Matchbox's bootstrap, plus `platform`, free-text
 * values URI-encoded by iPXE's `:uristring`) and BOOTSTRAP_FLAG. A failed chain (server down, 5xx, no answer) is
 * retried with a back-off doubling from 1 s up to the cap; after the last attempt the script exits with an error,
 * so the firmware tries its next boot device instead of leaving the machine in an iPXE shell. Deliberate "no
 * script" answers never reach this loop: with the flag, /ipxe sends them as a 200 stop script (stopScript).
 */
export function bootstrapScript(base: string, options: BootstrapOptions): string {
  const query = [
    'uuid=${uuid}',
    'mac=${mac:hexhyp}',
    'domain=${domain:uristring}',
    'hostname=${hostname:uristring}',
    'serial=${serial:uristring}',
    'arch=${buildarch:uristring}',
    'platform=${platform:uristring}',
    `${BOOTSTRAP_FLAG}=1`,
  ].join('&');
  return [
    '#!ipxe',
    'set metalbus-attempt:int32 0',
    'set metalbus-backoff:int32 1',
    ':metalbus-retry',
    'inc metalbus-attempt',
    `chain --replace ${base}/ipxe?${query} ||`,
    `iseq \${metalbus-attempt} ${options.attempts} && goto metalbus-give-up ||`,
    'echo metalbus: no boot script (attempt ${metalbus-attempt}), retrying in ${metalbus-backoff}s',
    'sleep ${metalbus-backoff}',
    `iseq \${metalbus-backoff} ${options.backoffMaxSeconds} || inc metalbus-backoff \${metalbus-backoff}`,
    'goto metalbus-retry',
    ':metalbus-give-up',
    'echo metalbus: no boot script after ${metalbus-attempt} attempts, returning to the firmware',
    'exit 1',
    '',
  ].join('\n');
}
