import type { BootAssetEvent } from '@metalbus/events';

export type AssetKind = BootAssetEvent['kind'];

const TEXT = 'text/plain; charset=utf-8';
const BINARY = 'application/octet-stream';

/**
 * Content types by file extension. Anything not listed (kernels `vmlinuz`/`kernel-amd64`, initramfs `.xz`/`.gz`/
 * `.img`/`.cpio`, `.efi`, `.kpxe`, `.iso`, `.raw`) is application/octet-stream. HTML is deliberately absent: an
 * assets directory must not become a place to host pages on the provisioning network.
 */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  ipxe: TEXT,
  txt: TEXT,
  cfg: TEXT,
  conf: TEXT,
  sh: TEXT,
  sha256: TEXT,
  sha512: TEXT,
  sum: TEXT,
  cmdline: TEXT,
  json: 'application/json',
  ign: 'application/json',
  ignition: 'application/json',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  asc: 'application/pgp-signature',
  sig: 'application/pgp-signature',
};

export function contentTypeFor(fileName: string): string {
  // Omni's local asset layout has extension-less command lines: cmdline-metal-amd64.
  if (fileName.startsWith('cmdline-')) return TEXT;
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return BINARY;
  return BY_EXTENSION[fileName.slice(dot + 1).toLowerCase()] ?? BINARY;
}

/** First matching rule wins; tested against the lower-cased file name (last path segment). */
const KIND_RULES: readonly (readonly [RegExp, AssetKind])[] = [
  [/\.uki\.efi$/, 'uki'],
  [/^(ipxe|snponly|snp|undionly)[-.]/, 'ipxe'],
  [/^(vmlinuz|bzimage|linux|kernel)([-.]|$)/, 'kernel'],
  [/^(initramfs|initrd)([-.]|$)/, 'initrd'],
];

export function assetKindFor(fileName: string): AssetKind {
  const name = fileName.toLowerCase();
  for (const [re, kind] of KIND_RULES) if (re.test(name)) return kind;
  return 'other';
}
