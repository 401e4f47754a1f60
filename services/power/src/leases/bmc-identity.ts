import { createHash } from 'node:crypto';
import type { BmcRecord } from '@metalbus/events';

/** Where a BMC is: the host (lower case, IPv6 without brackets) and the port the record's driver talks to. */
export type HostPort = { host: string; port: number | null };

const DEFAULT_PORTS = { ipmi: 623, redfish: 443, api: 80, auto: 623 } as const;
const SAFE_HOST = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/;

/**
 * `host`, `host:port`, `[v6]:port`, a bare IPv6 literal, or a URL (`https://host:port/…`) → host and port.
 * Pure; never throws (an unparsable address is kept whole as the host).
 */
export function parseHostPort(address: string): HostPort {
  const text = address.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      const url = new URL(text);
      const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      return { host, port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port) };
    } catch {
      return { host: text.toLowerCase(), port: null };
    }
  }
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (v6) return { host: (v6[1] as string).toLowerCase(), port: v6[2] === undefined ? null : Number(v6[2]) };
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = text.split(':') as [string, string];
    if (/^\d{1,5}$/.test(port)) return { host: host.toLowerCase(), port: Number(port) };
  }
  return { host: text.toLowerCase(), port: null };
}

export type BmcIdentity = {
  /** `host:port` for people (logs, lease values). */
  readonly display: string;
  /** The same as a NATS KV key (`[-/_=.a-zA-Z0-9]+`): `host_port`, or a hash for hosts KV cannot hold. */
  readonly key: string;
};

/**
 * The identity that serialises commands: one BMC endpoint = address and port. Two machine records pointing at
 * one endpoint (a multi-node chassis) share it; QEMU launchers behind one gateway differ by port.
 */
export function bmcIdentity(record: Pick<BmcRecord, 'address' | 'port' | 'driver'>): BmcIdentity {
  const parsed = parseHostPort(record.address);
  const port = record.port !== null && record.port !== 0 ? record.port : (parsed.port ?? DEFAULT_PORTS[record.driver]);
  const display = `${parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host}:${port}`;
  const key = SAFE_HOST.test(parsed.host)
    ? `${parsed.host}_${port}`
    : `h-${createHash('sha256').update(display).digest('hex').slice(0, 40)}`;
  return { display, key };
}
