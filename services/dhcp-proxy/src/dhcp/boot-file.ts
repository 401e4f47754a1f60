// Which boot file a classified client is told to load. URLs are built once at start-up (hot path does lookups).

import { isIP } from 'node:net';
import type { BootTarget, ClientClass, MachineArch } from './classify.js';

/** First-stage iPXE builds per firmware class (names served by TFTP and by boot-http under /ipxe-bin/<arch>/). */
export type BootFiles = Readonly<Record<BootTarget, string>>;

export interface BootFileOptions {
  readonly bootFiles: BootFiles;
  /** Per-MAC boot file (normalised MAC → file name or URL); applies to firmware, never to a running iPXE. */
  readonly overrides: ReadonlyMap<string, string>;
  /** Host of boot-http in URLs: an IPv4 literal or an IPv6 literal (bracketed here). */
  readonly httpHost: string;
  readonly httpPort: number;
}

export interface BootFileTable {
  readonly bootFiles: BootFiles;
  readonly overrides: ReadonlyMap<string, string>;
  /** `http://<host>:<port>/boot.ipxe`: what a client already running iPXE gets (breaks the chainload loop). */
  readonly scriptUrl: string;
  /** `http://<host>:<port>/ipxe-bin/<arch>/`: prefix of UEFI HTTP-boot URLs. */
  readonly httpBootBase: Readonly<Record<MachineArch, string>>;
  /** Precomputed HTTP-boot URLs of the configured files. */
  readonly httpBootUrls: Readonly<Record<BootTarget, string>>;
}

/** The host part of a URL: IPv6 literals in brackets (RFC 3986 §3.2.2). */
export function urlHost(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}

function isUrl(name: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(name);
}

const TARGET_ARCH: Readonly<Record<BootTarget, MachineArch>> = { bios: 'amd64', 'uefi-x64': 'amd64', arm64: 'arm64' };

export function createBootFileTable(options: BootFileOptions): BootFileTable {
  const origin = `http://${urlHost(options.httpHost)}:${options.httpPort}`;
  const httpBootBase = { amd64: `${origin}/ipxe-bin/amd64/`, arm64: `${origin}/ipxe-bin/arm64/` };
  const httpUrl = (target: BootTarget) => {
    const file = options.bootFiles[target];
    return isUrl(file) ? file : httpBootBase[TARGET_ARCH[target]] + file;
  };
  return {
    bootFiles: options.bootFiles,
    overrides: options.overrides,
    scriptUrl: `${origin}/boot.ipxe`,
    httpBootBase,
    httpBootUrls: { bios: httpUrl('bios'), 'uefi-x64': httpUrl('uefi-x64'), arm64: httpUrl('arm64') },
  };
}

/**
 * The boot file for `client` (MAC `mac`): a running iPXE gets the script URL; firmware gets its override or the
 * file configured for its class, as a TFTP name or, for HTTP boot, as an http URL under /ipxe-bin/<arch>/.
 */
export function chooseBootFile(client: ClientClass, mac: string, table: BootFileTable): string {
  if (client.isIpxe) return table.scriptUrl;
  const override = table.overrides.get(mac);
  if (override === undefined) {
    return client.transport === 'http' ? table.httpBootUrls[client.target] : table.bootFiles[client.target];
  }
  if (client.transport === 'http' && !isUrl(override)) return table.httpBootBase[client.arch] + override;
  return override;
}
