import type { Profile } from '@metalbus/events';

// Matchbox's iPXE script for a profile (matchbox/http/ipxe.go): `kernel <kernel> <args…>`, one `initrd` line per
// initrd, `boot`. Arguments are emitted verbatim, never templated: per-machine values come from iPXE's own
// `${uuid}`/`${mac:hexhyp}` expansion at boot time.

export type NetBoot = NonNullable<Profile['boot']>;

/** `resolve` maps kernel/initrd URLs (Matchbox leaves them as written; iPXE resolves relative ones itself). */
export function renderProfileIpxe(boot: NetBoot, resolve: (url: string) => string = (url) => url): string {
  let script = `#!ipxe\nkernel ${resolve(boot.kernel)}`;
  for (const arg of boot.args) script += ` ${arg}`;
  script += '\n';
  for (const initrd of boot.initrd) script += `initrd ${resolve(initrd)}\n`;
  return `${script}boot\n`;
}

/**
 * A kernel/initrd URL made absolute against `base` (e.g. `http://10.0.0.5:8080`, no trailing slash): URLs with a
 * scheme are kept; `/assets/x` becomes `<base>/assets/x` and `assets/x` becomes `<base>/assets/x`. For a base
 * without a path this is exactly what iPXE does with Matchbox's relative URLs against the script's own URL.
 */
export function absoluteUrl(url: string, base: string): string {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url)) return url;
  if (url.startsWith('//')) return `${base.slice(0, base.indexOf(':') + 1)}${url}`;
  return url.startsWith('/') ? `${base}${url}` : `${base}/${url}`;
}
