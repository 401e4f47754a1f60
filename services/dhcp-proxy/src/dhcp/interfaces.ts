// Which addresses the proxy advertises, from the configured interface / advertise address and the host's
// interfaces (the shape of os.networkInterfaces(), passed in so this stays pure and testable).
//
// Node cannot set SO_BINDTODEVICE, so the 67 listener binds 0.0.0.0 and receives broadcasts from every interface.
// What the interface option does here: it picks the IPv4 address put in siaddr/option 54 and the set of addresses
// option 54 may name to mean "us"; the server also sends from a socket bound to that address, which makes Linux
// route limited broadcasts (255.255.255.255) out of that interface. On a multi-homed host, run dhcp-proxy where
// only the PXE segment is reachable (a container or namespace with that interface) to keep other segments out.

import { isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

export type InterfaceTable = Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>;

export interface AddressInput {
  /** Interface name to serve, or null to derive it from the advertise address or pick the only candidate. */
  readonly interfaceName: string | null;
  /** Address put in boot URLs (IPv4 or IPv6); when IPv4 it is also siaddr/option 54. */
  readonly advertiseAddress: string | null;
}

export interface ResolvedAddresses {
  readonly interfaceName: string | null;
  /** IPv4 for siaddr, sname, options 54 and 66. */
  readonly serverAddress: string;
  /** Whether serverAddress is assigned to this host (then the server can bind it to send from it). */
  readonly serverAddressIsLocal: boolean;
  /** boot-http's address in boot URLs (IPv4 or IPv6 literal; bracketed when the URL is built). */
  readonly httpHost: string;
  /** Addresses that mean "this proxy" in option 54. */
  readonly ownAddresses: readonly string[];
}

export type AddressResolution = { ok: true; value: ResolvedAddresses } | { ok: false; message: string };

function ipv4sOf(infos: readonly NetworkInterfaceInfo[] | undefined): string[] {
  return (infos ?? []).filter((i) => i.family === 'IPv4').map((i) => i.address);
}

export function resolveAddresses(input: AddressInput, table: InterfaceTable): AddressResolution {
  const advertise = input.advertiseAddress;
  if (advertise !== null && isIP(advertise) === 0) {
    return { ok: false, message: `advertise address ${advertise} is not an IP address` };
  }
  const advertiseV4 = advertise !== null && isIP(advertise) === 4 ? advertise : null;

  let name = input.interfaceName;
  if (name !== null && table[name] === undefined) {
    // os.networkInterfaces() lists only interfaces that are up with carrier (a bridge whose ports are all down, a
    // NIC with its cable out). The kernel still has the address, so an IPv4 advertise address is enough to start;
    // binding the send socket to it fails loudly if it is not ours.
    if (advertiseV4 === null) {
      return {
        ok: false,
        message: `interface ${name} is missing or has no carrier; set the IPv4 advertise address to start without carrier`,
      };
    }
    return {
      ok: true,
      value: {
        interfaceName: name,
        serverAddress: advertiseV4,
        serverAddressIsLocal: true,
        httpHost: advertise ?? advertiseV4,
        ownAddresses: [advertiseV4],
      },
    };
  }
  if (name === null && advertise !== null) {
    name = Object.keys(table).find((n) => (table[n] ?? []).some((i) => i.address === advertise)) ?? null;
  }
  if (name === null && advertiseV4 === null) {
    const candidates = Object.keys(table).filter((n) =>
      (table[n] ?? []).some((i) => i.family === 'IPv4' && !i.internal),
    );
    if (candidates.length !== 1) {
      return {
        ok: false,
        message: `cannot choose the PXE interface among ${candidates.length} candidates; set the interface or an IPv4 advertise address`,
      };
    }
    name = candidates[0] as string;
  }

  const nicAddresses = name === null ? [] : ipv4sOf(table[name]);
  const serverAddress = advertiseV4 ?? nicAddresses[0];
  if (serverAddress === undefined) return { ok: false, message: `interface ${name} has no IPv4 address` };
  const allLocal = Object.values(table).flatMap((infos) => ipv4sOf(infos));
  const httpHost = advertise ?? serverAddress;
  return {
    ok: true,
    value: {
      interfaceName: name,
      serverAddress,
      serverAddressIsLocal: allLocal.includes(serverAddress),
      httpHost,
      ownAddresses: [...new Set([serverAddress, ...nicAddresses])],
    },
  };
}
