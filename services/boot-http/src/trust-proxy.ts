import { isIP, isIPv4 } from 'node:net';
import { z } from 'zod';

// TRUST_PROXY, parsed into what fastify's `trustProxy` option takes. Trusting X-Forwarded-For from anyone lets any
// client choose the address boot-http records in events and attributes assets by, so the default trusts nobody.

/** Names proxy-addr (behind fastify's trustProxy) accepts besides addresses and CIDRs. */
const RANGE_NAMES: readonly string[] = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, a CIDR (`10.0.0.0/8`, `fd00::/8`), an IPv4 address/netmask, or a range name. */
export function isTrustedProxyEntry(entry: string): boolean {
  if (RANGE_NAMES.includes(entry) || isIP(entry) !== 0) return true;
  const slash = entry.indexOf('/');
  if (slash < 0) return false;
  const family = isIP(entry.slice(0, slash));
  const mask = entry.slice(slash + 1);
  if (family === 0) return false;
  if (/^\d{1,3}$/.test(mask)) return Number(mask) <= (family === 4 ? 32 : 128);
  return family === 4 && isIPv4(mask);
}

/** `true`, `false` (or empty), or a comma-separated list of trusted proxies; default false. */
export function trustProxyField() {
  return z
    .string()
    .transform((text, ctx): boolean | string[] => {
      const word = text.trim().toLowerCase();
      if (word === 'true') return true;
      if (word === 'false' || word === '') return false;
      const entries = text
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== '');
      const bad = entries.filter((entry) => !isTrustedProxyEntry(entry));
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `not an address, CIDR or range name: ${bad.join(', ')}` });
        return z.NEVER;
      }
      return entries;
    })
    .meta({ expected: 'true, false or a comma-separated list of addresses/CIDRs' })
    .default(false);
}
