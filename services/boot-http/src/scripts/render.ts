import type { Arch } from '@metalbus/events';
import type { DiskBootMethod } from './settings.js';

// Pure renderers of the iPXE scripts boot-http answers (reference 4.2/4.3 for the Omni-mode ones).

export const IPXE_EXIT = '#!ipxe\nexit\n';
export const IPXE_SANBOOT = '#!ipxe\nsanboot --no-describe --drive 0x80\n';

/** The disk-mode answer: a script, or an empty 404 so the firmware moves on to its next boot device. */
export function diskAnswer(method: DiskBootMethod): { status: number; body: string } {
  switch (method) {
    case 'exit':
      return { status: 200, body: IPXE_EXIT };
    case 'sanboot':
      return { status: 200, body: IPXE_SANBOOT };
    case 'http-404':
      return { status: 404, body: '' };
  }
}

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
 * values URI-encoded by iPXE's `:uristring`). A failed chain (server down, 5xx, no answer) is retried with a
 * back-off doubling from 1 s up to the cap; after the last attempt the script exits with an error, so the
 * firmware tries its next boot device instead of leaving the machine in an iPXE shell.
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
