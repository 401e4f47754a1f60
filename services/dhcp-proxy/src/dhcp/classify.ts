// Which kind of netboot client sent a request: from option 60 (PXEClient/HTTPClient prefix), option 93 (RFC 4578
// §2.1 architecture) and options 77/175 (already running iPXE).

import { ClientArch, IPXE_USER_CLASS, VendorClassPrefix } from './options.js';
import type { DhcpOptions } from './packet.js';

export type MachineArch = 'amd64' | 'arm64';
/** What the boot ROM is, as published in facts. `ipxe` wins over the others: it is what runs now. */
export type Firmware = 'bios' | 'uefi' | 'uefi-http' | 'uboot' | 'ipxe';
export type Transport = 'tftp' | 'http';
/** Which configured boot file a firmware class gets. */
export type BootTarget = 'bios' | 'uefi-x64' | 'arm64';

interface ArchEntry {
  readonly arch: MachineArch;
  readonly rom: 'bios' | 'uefi' | 'uboot';
  readonly transport: Transport;
  readonly target: BootTarget;
}

const bios: ArchEntry = { arch: 'amd64', rom: 'bios', transport: 'tftp', target: 'bios' };
const uefiX64: ArchEntry = { arch: 'amd64', rom: 'uefi', transport: 'tftp', target: 'uefi-x64' };
const uefiArm64: ArchEntry = { arch: 'arm64', rom: 'uefi', transport: 'tftp', target: 'arm64' };
const httpX64: ArchEntry = { arch: 'amd64', rom: 'uefi', transport: 'http', target: 'uefi-x64' };
const httpArm64: ArchEntry = { arch: 'arm64', rom: 'uefi', transport: 'http', target: 'arm64' };

/**
 * Supported option-93 values. 7 and 9 are both x64 (RFC 4578's original text swapped them; its 2016 erratum and
 * IANA agree on 7 = x64, old firmware still sends 9). 6 (IA32) and 15 (x86 HTTP) are mapped to the x64 files like
 * the Omni provider and smee do. U-Boot arm64 (22, 24) gets the arm64 files, as the Omni provider does.
 */
const ARCH_TABLE: ReadonlyMap<number, ArchEntry> = new Map([
  [ClientArch.x86Bios, bios],
  [ClientArch.efiIa32, uefiX64],
  [ClientArch.efiX64, uefiX64],
  [ClientArch.efiBc, uefiX64],
  [ClientArch.efiArm64, uefiArm64],
  [ClientArch.efiX86Http, httpX64],
  [ClientArch.efiX64Http, httpX64],
  [ClientArch.efiArm64Http, httpArm64],
  [ClientArch.ubootArm64, { ...uefiArm64, rom: 'uboot' }],
  [ClientArch.ubootArm64Http, { ...httpArm64, rom: 'uboot' }],
]);

export interface ClientClass {
  /** The option-93 value the class was chosen from (or read from option 60's `Arch:` field). */
  readonly clientArch: number;
  readonly arch: MachineArch;
  readonly firmware: Firmware;
  readonly transport: Transport;
  readonly target: BootTarget;
  /** True for x86 BIOS PXE ROMs, the only ones that get option 43 (see reply.ts). */
  readonly biosRom: boolean;
  readonly isIpxe: boolean;
  /** The option-60 identity a reply must carry: `HTTPClient` for HTTP boot (UEFI 2.x §24.7), else `PXEClient`. */
  readonly replyVendorClass: 'PXEClient' | 'HTTPClient';
}

export type ClassifyFailure = 'not-netboot' | 'no-arch' | 'unsupported-arch';

export type Classification =
  { readonly ok: true; readonly value: ClientClass } | { readonly ok: false; readonly reason: ClassifyFailure };

/** `PXEClient` or `HTTPClient` when option 60 starts with one of them (servers match the prefix only), else null. */
export function netbootPrefix(vendorClass: string | undefined): 'PXEClient' | 'HTTPClient' | null {
  if (vendorClass === undefined) return null;
  if (vendorClass.startsWith(VendorClassPrefix.pxe)) return 'PXEClient';
  if (vendorClass.startsWith(VendorClassPrefix.http)) return 'HTTPClient';
  return null;
}

/** The 5-digit `Arch:xxxxx` field of `PXEClient:Arch:xxxxx:UNDI:yyyzzz` (PXE 2.1 §2.2), for ROMs without 93. */
function archFromVendorClass(vendorClass: string): number | null {
  const at = vendorClass.indexOf(':Arch:');
  if (at < 0) return null;
  const digits = vendorClass.slice(at + 6, at + 11);
  return /^\d{5}$/.test(digits) ? Number(digits) : null;
}

export function isIpxeClient(options: DhcpOptions): boolean {
  if (options.ipxe !== undefined) return true;
  const classes = options.userClass?.classes;
  return classes !== undefined && classes.includes(IPXE_USER_CLASS);
}

export function classify(options: DhcpOptions): Classification {
  const prefix = netbootPrefix(options.vendorClass);
  if (prefix === null) return { ok: false, reason: 'not-netboot' };
  let arches = options.clientArch;
  if (arches === undefined) {
    const fromVendor = archFromVendorClass(options.vendorClass as string);
    if (fromVendor === null) return { ok: false, reason: 'no-arch' };
    arches = [fromVendor];
  }
  // The first supported entry wins: RFC 4578 lets a client list several, most preferred first.
  let clientArch = -1;
  let entry: ArchEntry | undefined;
  for (const code of arches) {
    entry = ARCH_TABLE.get(code);
    if (entry !== undefined) {
      clientArch = code;
      break;
    }
  }
  if (entry === undefined) return { ok: false, reason: 'unsupported-arch' };
  const transport: Transport = prefix === 'HTTPClient' ? 'http' : entry.transport;
  const isIpxe = isIpxeClient(options);
  const firmware: Firmware = isIpxe ? 'ipxe' : entry.rom === 'uefi' && transport === 'http' ? 'uefi-http' : entry.rom;
  return {
    ok: true,
    value: {
      clientArch,
      arch: entry.arch,
      firmware,
      transport,
      target: entry.target,
      biosRom: entry.rom === 'bios',
      isIpxe,
      replyVendorClass: transport === 'http' ? 'HTTPClient' : 'PXEClient',
    },
  };
}
