// Per-run IPv4 /24 (and IPv6 /64) for one namespace. Namespaces are isolated, so two runs could share addresses;
// a distinct /24 per run matters once a run has an uplink into the host's namespace (host routes must not clash)
// and makes logs and captures of parallel runs tell themselves apart.

export type Cidr = { network: number; length: number };

export type RunSubnet = {
  /** e.g. `10.101.7.0/24` */
  readonly cidr: string;
  readonly netmask: string;
  /** `.1`, on the bridge: where the stack under test listens. */
  readonly server: string;
  /** `.2`: the site DHCP server when it runs as its own host on the segment (netns.ts `site`). */
  readonly site: string;
  /** Addresses the site DHCP server hands out. */
  readonly pool: { readonly first: string; readonly last: string };
  /** Point-to-point /30 between the host and the namespace, outside the pool. */
  readonly uplink: { readonly host: string; readonly ns: string; readonly length: 30 };
  /** A ULA on the bridge so the namespace can send IPv6 router advertisements (iPXE waits ~13 s without one). */
  readonly server6: string;
  /** The site DHCP server's ULA (it sends the router advertisements when it is its own host). */
  readonly site6: string;
  readonly prefix6: string;
};

// 10.96.0.0/11: 8192 candidate /24s, away from the 10.0.x and 10.1.x ranges hosts and CI networks commonly use.
const SECOND_OCTET_FIRST = 96;
const SECOND_OCTET_COUNT = 32;
// Broad aggregates (a 10.0.0.0/8 VPN route) would block every candidate; the /30 uplink route is more specific and
// wins on the host anyway, so only prefixes of /16 or longer count as taken.
const SHORTEST_BLOCKING_PREFIX = 16;

export function subnetFor(second: number, third: number): RunSubnet {
  const base = `10.${second}.${third}`;
  const hex6 = `fd6d:6265:${second.toString(16)}:${third.toString(16)}`;
  return {
    cidr: `${base}.0/24`,
    netmask: '255.255.255.0',
    server: `${base}.1`,
    site: `${base}.2`,
    pool: { first: `${base}.100`, last: `${base}.199` },
    uplink: { host: `${base}.253`, ns: `${base}.254`, length: 30 },
    server6: `${hex6}::1`,
    site6: `${hex6}::2`,
    prefix6: `${hex6}::/64`,
  };
}

/** A random free /24 in 10.96.0.0/11, avoiding every taken prefix of /16 or longer. */
export function pickSubnet(taken: readonly Cidr[], random: () => number = Math.random): RunSubnet | undefined {
  const blocking = taken.filter((c) => c.length >= SHORTEST_BLOCKING_PREFIX);
  const total = SECOND_OCTET_COUNT * 256;
  const start = Math.floor(random() * total);
  for (let i = 0; i < total; i++) {
    const n = (start + i) % total;
    const second = SECOND_OCTET_FIRST + Math.floor(n / 256);
    const third = n % 256;
    const candidate: Cidr = { network: ipv4ToInt(`10.${second}.${third}.0`), length: 24 };
    if (!blocking.some((c) => overlaps(c, candidate))) return subnetFor(second, third);
  }
  return undefined;
}

/**
 * Every IPv4 prefix named in `ip -o -4 addr show` or `ip -4 route show` output (addresses count as their connected
 * network). Lines without one, and the default route, are skipped.
 */
export function parseCidrs(ipOutput: string): Cidr[] {
  const found: Cidr[] = [];
  for (const line of ipOutput.split('\n')) {
    const match = /(?:^|\sinet\s)(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?/.exec(line);
    if (!match?.[1]) continue;
    const length = match[2] === undefined ? 32 : Number(match[2]);
    found.push({ network: maskTo(ipv4ToInt(match[1]), length), length });
  }
  return found;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const length = Math.min(a.length, b.length);
  return maskTo(a.network, length) === maskTo(b.network, length);
}

export function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, part) => ((acc << 8) | (Number(part) & 255)) >>> 0, 0);
}

function maskTo(value: number, length: number): number {
  return length === 0 ? 0 : (value & (0xffffffff << (32 - length))) >>> 0;
}
