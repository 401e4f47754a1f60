/**
 * Strict validation of Image Factory path parts (omni-api.md 6.3; the factory's own router). Anything that does
 * not match is a 404 before we build any upstream URL, so the cache can never be steered to another host or path.
 */
export type FactoryArch = 'amd64' | 'arm64';
export type ImageKind = 'kernel' | 'initrd' | 'uki';

export interface ImageName {
  readonly file: string;
  readonly arch: FactoryArch;
  readonly kind: ImageKind;
}

export interface PxeTarget {
  readonly target: string;
  readonly arch: FactoryArch;
  readonly secureBoot: boolean;
}

const SCHEMATIC_ID = /^[0-9a-f]{64}$/;
// Semantic version with optional pre-release/build parts, leading `v` optional (the factory adds it itself).
const VERSION = /^v?(\d{1,4})\.(\d{1,4})\.(\d{1,6})(-[0-9A-Za-z.-]{1,40})?$/;
const PXE_TARGET = /^metal-(amd64|arm64)(-secureboot)?$/;
const IMAGE_FILE = /^(?:kernel-(amd64|arm64)|initramfs-(amd64|arm64)\.xz|metal-(amd64|arm64)-secureboot\.uki\.efi)$/;

export function isSchematicId(s: string): boolean {
  return SCHEMATIC_ID.test(s);
}

/** `1.9.0` and `v1.9.0` name the same release: normalise to the `v` form so both share one cache entry. */
export function normalizeVersion(s: string): string | null {
  return VERSION.test(s) ? (s.startsWith('v') ? s : `v${s}`) : null;
}

export function parsePxeTarget(s: string): PxeTarget | null {
  const m = PXE_TARGET.exec(s);
  if (m === null) return null;
  return { target: s, arch: m[1] as FactoryArch, secureBoot: m[2] !== undefined };
}

export function parseImageName(s: string): ImageName | null {
  const m = IMAGE_FILE.exec(s);
  if (m === null) return null;
  if (m[1] !== undefined) return { file: s, arch: m[1] as FactoryArch, kind: 'kernel' };
  if (m[2] !== undefined) return { file: s, arch: m[2] as FactoryArch, kind: 'initrd' };
  return { file: s, arch: m[3] as FactoryArch, kind: 'uki' };
}

/** The file a machine fetches right after this one (iPXE: kernel, then initrd): worth prefetching. */
export function companionOf(name: ImageName): string | null {
  return name.kind === 'kernel' ? `initramfs-${name.arch}.xz` : null;
}

/** Cache key and upstream path share one shape: `image/<id>/<version>/<file>`. */
export function imageKey(id: string, version: string, file: string): string {
  return `image/${id}/${version}/${file}`;
}
