import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type IpxeArch = 'amd64' | 'arm64';

/** Which files each architecture may serve: small binaries, held in memory (a few hundred KiB each). */
const ARM64_ALIASES: Readonly<Record<string, string>> = {
  'ipxe.efi': 'ipxe-arm64.efi',
  'snponly.efi': 'snponly-arm64.efi',
};

export const IPXE_FILES: Readonly<Record<IpxeArch, readonly string[]>> = {
  amd64: ['ipxe.efi', 'snponly.efi', 'undionly.kpxe'],
  arm64: ['ipxe.efi', 'snponly.efi'],
};

/** Everything needed to answer a request, computed once at start (hot paths precompute). */
export interface IpxeBinary {
  readonly arch: IpxeArch;
  readonly name: string;
  readonly body: Buffer;
  /** Strong ETag from the content hash: identical on every replica that has the same binary. */
  readonly etag: string;
  readonly lastModifiedSec: number;
}

export interface IpxeStoreResult {
  readonly binaries: ReadonlyMap<string, IpxeBinary>;
  /** Files listed in IPXE_FILES that were missing or unreadable (logged by the caller; served as 404). */
  readonly missing: readonly string[];
}

const MAX_BINARY_BYTES = 16 * 1024 * 1024;

export function ipxeKey(arch: string, name: string): string {
  return `${arch}/${name}`;
}

/**
 * The arm64 directory: IPXE_ARM64_DIR when set, else `<IPXE_DIR>/arm64` when that is a directory (where
 * dhcp-proxy's TFTP serves the arm64 builds from, so one IPXE_DIR serves both), else none.
 */
export async function arm64DirFor(amd64Dir: string, configured: string | undefined): Promise<string | undefined> {
  if (configured !== undefined) return configured;
  const candidate = join(amd64Dir, 'arm64');
  const st = await stat(candidate).catch(() => null);
  return st?.isDirectory() === true ? candidate : undefined;
}

export async function loadIpxeBinaries(dirs: Partial<Record<IpxeArch, string>>): Promise<IpxeStoreResult> {
  const binaries = new Map<string, IpxeBinary>();
  const missing: string[] = [];
  for (const arch of ['amd64', 'arm64'] as const) {
    const dir = dirs[arch];
    if (dir === undefined) continue;
    for (const name of IPXE_FILES[arch]) {
      const path = join(dir, name);
      try {
        const st = await stat(path);
        if (!st.isFile() || st.size > MAX_BINARY_BYTES) {
          missing.push(path);
          continue;
        }
        const body = await readFile(path);
        const digest = createHash('sha256').update(body).digest('hex');
        const binary = {
          arch,
          name,
          body,
          etag: `"${digest.slice(0, 32)}"`,
          lastModifiedSec: Math.floor(st.mtimeMs / 1000),
        };
        binaries.set(ipxeKey(arch, name), binary);
        // dhcp-proxy names arm64 builds distinctly (`ipxe-arm64.efi`) so one TFTP namespace holds both arches;
        // HTTP-boot clients are given the same name under /ipxe-bin/arm64/.
        const alias = ARM64_ALIASES[name];
        if (arch === 'arm64' && alias !== undefined) binaries.set(ipxeKey(arch, alias), { ...binary, name: alias });
      } catch {
        missing.push(path);
      }
    }
  }
  return { binaries, missing };
}
