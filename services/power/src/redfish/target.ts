import { isIP } from 'node:net';

/** Where an HTTP BMC endpoint is: the origin only (scheme, host, port), never credentials or a path. */
export interface HttpTarget {
  readonly origin: URL;
  /** `https://host:port` — safe for messages and logs. */
  readonly display: string;
}

export type TargetResult = { ok: true; value: HttpTarget } | { ok: false; error: string };

export interface TargetInput {
  /** A full URL (`https://bmc:8443`); wins over address/port. Userinfo in it is refused. */
  baseUrl?: string | undefined;
  /** `host`, `host:port`, `[v6]:port`, a bare IPv6 address, or a URL. */
  address?: string | undefined;
  /** Overrides a port inside `address`; null/0 means the scheme default given below. */
  port?: number | null | undefined;
  defaultScheme: 'http' | 'https';
  defaultPort: number;
}

/**
 * Turns the forms a BMC address arrives in into one origin. Pure: no DNS, no sockets.
 * A URL carrying `user:pass@` is refused rather than silently used, so credentials only ever come from the
 * credential fields (and never end up in a `target` string that is logged).
 */
export function parseTarget(input: TargetInput): TargetResult {
  const raw = (input.baseUrl ?? input.address ?? '').trim();
  if (raw === '') return { ok: false, error: 'no BMC address' };

  let url: URL;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, error: 'BMC address is not a valid URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { ok: false, error: `unsupported scheme ${url.protocol.replace(':', '')}` };
    }
    if (url.username !== '' || url.password !== '') {
      return { ok: false, error: 'BMC URL must not carry credentials' };
    }
  } else {
    const host = splitHostPort(raw);
    if (host === null) return { ok: false, error: 'BMC address is not host[:port]' };
    const hostText = isIP(host.host) === 6 ? `[${host.host}]` : host.host;
    try {
      url = new URL(`${input.defaultScheme}://${hostText}`);
    } catch {
      return { ok: false, error: 'BMC address is not a valid host' };
    }
    if (host.port !== null) url.port = String(host.port);
  }

  if (input.port !== null && input.port !== undefined && input.port !== 0) url.port = String(input.port);
  if (url.port === '' && !isSchemeDefault(url.protocol, input.defaultPort)) url.port = String(input.defaultPort);

  const origin = new URL(url.origin);
  return { ok: true, value: { origin, display: displayOf(origin) } };
}

function isSchemeDefault(protocol: string, port: number): boolean {
  return (protocol === 'https:' && port === 443) || (protocol === 'http:' && port === 80);
}

/** Always shows the port, so messages name exactly what was dialled. */
function displayOf(origin: URL): string {
  const port = origin.port !== '' ? origin.port : origin.protocol === 'https:' ? '443' : '80';
  return `${origin.protocol}//${origin.hostname}:${port}`;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address (which has several colons). */
export function splitHostPort(text: string): { host: string; port: number | null } | null {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed !== null) return withPort(bracketed[1] ?? '', bracketed[2]);
  if (isIP(text) === 6) return { host: text, port: null };
  const plain = /^([^:/\s@]+)(?::(\d{1,5}))?$/.exec(text);
  if (plain === null) return null;
  return withPort(plain[1] ?? '', plain[2]);
}

function withPort(host: string, portText: string | undefined): { host: string; port: number | null } | null {
  if (host === '') return null;
  if (portText === undefined) return { host, port: null };
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host, port };
}
