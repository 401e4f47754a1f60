// Config FRAGMENT of the ProxyDHCP half: env-style keys (merged into the service's src/config.ts schema by the
// lead) and a pure mapping to the typed options the dhcp modules take. Nothing here reads process.env.

import { isIP } from 'node:net';
import { unsetIfEmpty } from '@metalbus/config';
import { normalizeMac } from '@metalbus/events';
import { z } from 'zod';
import type { BootFiles } from './boot-file.js';
import { DhcpModes } from './decide.js';
import type { DhcpMode } from './decide.js';

// Not libs/config's port(): 0 is refused here (a listener needs a real port).
const port = (fallback: number, text: string) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().min(1).max(65535).default(fallback)).describe(text);

/** A name (TFTP path or URL) that fits the 128-byte BOOTP `file` field with its NUL, without control chars. */
const bootFileName = z
  .string()
  .min(1)
  .max(127)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

const bootFile = (fallback: string, text: string) =>
  z.preprocess(unsetIfEmpty, bootFileName.default(fallback)).describe(text);

const overrides = z
  .preprocess(unsetIfEmpty, z.string().default('{}'))
  .transform((text, ctx): Record<string, string> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not valid JSON (expected {"<mac>": "<boot file>", …})' });
      return z.NEVER;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object {"<mac>": "<boot file>", …}' });
      return z.NEVER;
    }
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      const mac = normalizeMac(key);
      if (mac === null) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(key)} is not a MAC address` });
      else if (typeof value !== 'string' || !bootFileName.safeParse(value).success) {
        ctx.addIssue({ code: 'custom', message: `boot file for ${key} must be 1-127 printable characters` });
      } else out[mac] = value;
    }
    return out;
  })
  .describe(
    'Per-machine boot file for firmware (not for a running iPXE), as JSON {"aa:bb:cc:dd:ee:ff": "snponly.efi"}; a plain name is served by TFTP (or under /ipxe-bin/<arch>/ for UEFI HTTP boot), a URL is sent as is',
  );

export const dhcpConfigSchema = z.object({
  DHCP_MODE: z
    .preprocess(unsetIfEmpty, z.enum(DhcpModes).default('both'))
    .describe(
      'ProxyDHCP listeners: "both" = UDP 67 (DISCOVER→OFFER) and 4011 (REQUEST→ACK); "4011-only" when the site DHCP server runs on the same host and owns port 67 (it must then hand out next-server = this host and option 60 PXEClient); "off" = no ProxyDHCP',
    ),
  DHCP_INTERFACE: z
    .preprocess(unsetIfEmpty, z.string().optional())
    .describe(
      'Interface of the PXE segment. Picks the IPv4 address advertised as next-server/option 54 and the address replies are sent from (which routes broadcasts out of it). Default: the interface holding ADVERTISE_ADDRESS, else the only interface with an external IPv4 address',
    ),
  ADVERTISE_ADDRESS: z
    .preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address')
        .optional(),
    )
    .describe(
      'Address clients reach boot-http at, used in boot URLs (IPv6 is bracketed); when IPv4 also the DHCP next-server, option 54 and TFTP server. Default: the first IPv4 address of DHCP_INTERFACE',
    ),
  HTTP_PORT: port(
    8080,
    'Port of boot-http in the URLs handed to iPXE (/boot.ipxe) and to UEFI HTTP-boot clients (/ipxe-bin/…)',
  ),
  DHCP_LISTEN_ADDRESS: z
    .preprocess(
      unsetIfEmpty,
      z
        .string()
        .refine((v) => isIP(v) === 4, 'must be an IPv4 address')
        .default('0.0.0.0'),
    )
    .describe('Address the 67 and 4011 listeners bind; keep 0.0.0.0 to receive broadcast DISCOVERs'),
  DHCP_PORT: port(67, 'UDP port of the DISCOVER listener (DHCP server port)'),
  DHCP_PXE_PORT: port(4011, 'UDP port of the PXE boot-server listener (PXE REQUEST→ACK)'),
  DHCP_BOOTFILE_BIOS: bootFile('undionly.kpxe', 'First-stage iPXE for x86 BIOS PXE ROMs (option 93 = 0), over TFTP'),
  DHCP_BOOTFILE_UEFI_X64: bootFile(
    'ipxe.efi',
    'First-stage iPXE for x86-64 UEFI (option 93 = 6, 7, 9; HTTP boot 15, 16), e.g. snponly.efi for firmware whose NIC driver iPXE should keep using',
  ),
  DHCP_BOOTFILE_ARM64: bootFile(
    'ipxe-arm64.efi',
    'First-stage iPXE for arm64 UEFI and U-Boot (option 93 = 11, 22; HTTP boot 19, 24)',
  ),
  DHCP_BOOTFILE_OVERRIDES: overrides,
  DHCP_DEBOUNCE_SECONDS: z
    .preprocess(unsetIfEmpty, z.coerce.number().min(0).max(86_400).default(30))
    .describe('At most one machine.discovered event per MAC and message type within this many seconds'),
});

export type DhcpConfig = z.infer<typeof dhcpConfigSchema>;

export interface DhcpSettings {
  readonly mode: DhcpMode;
  readonly interfaceName: string | null;
  readonly advertiseAddress: string | null;
  readonly listenAddress: string;
  readonly ports: { readonly dhcp: number; readonly pxe: number };
  readonly httpPort: number;
  readonly bootFiles: BootFiles;
  readonly overrides: ReadonlyMap<string, string>;
  readonly debounceMs: number;
}

/** The typed options for createDhcpServer / Debouncer from parsed config. */
export function dhcpSettingsFromConfig(config: DhcpConfig): DhcpSettings {
  return {
    mode: config.DHCP_MODE,
    interfaceName: config.DHCP_INTERFACE ?? null,
    advertiseAddress: config.ADVERTISE_ADDRESS ?? null,
    listenAddress: config.DHCP_LISTEN_ADDRESS,
    ports: { dhcp: config.DHCP_PORT, pxe: config.DHCP_PXE_PORT },
    httpPort: config.HTTP_PORT,
    bootFiles: {
      bios: config.DHCP_BOOTFILE_BIOS,
      'uefi-x64': config.DHCP_BOOTFILE_UEFI_X64,
      arm64: config.DHCP_BOOTFILE_ARM64,
    },
    overrides: new Map(Object.entries(config.DHCP_BOOTFILE_OVERRIDES)),
    debounceMs: config.DHCP_DEBOUNCE_SECONDS * 1000,
  };
}
