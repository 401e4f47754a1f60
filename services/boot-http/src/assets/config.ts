import { byteSize, unsetIfEmpty } from '@metalbus/config';
import { z } from 'zod';

/** ASSETS_DIR when neither it nor DATA_DIR is set. */
export const DEFAULT_ASSETS_DIR = '/var/lib/metalbus/assets';

/**
 * Config fragment for local assets and the iPXE binaries. The lead merges this shape into the service's
 * `src/config.ts` schema (keys ARE env var names); nothing here reads `process.env`.
 */
export const assetsConfigShape = {
  ASSETS_DIR: z
    .preprocess(unsetIfEmpty, z.string().min(1).optional())
    .describe(
      'Directory served read-only under /assets/ (versioned sub-folders, e.g. talos/v1.9.0/vmlinuz). ' +
        'No listing; symlinks resolving outside it are refused. ' +
        `Unset: DATA_DIR/assets when DATA_DIR is set (Matchbox's layout), else ${DEFAULT_ASSETS_DIR}.`,
    ),
  IPXE_DIR: z
    .string()
    .min(1)
    .default('/usr/lib/ipxe')
    .describe(
      'Directory of the amd64 iPXE binaries (ipxe.efi, snponly.efi, undionly.kpxe), loaded into memory at start ' +
        'and served under /ipxe-bin/amd64/<file> for UEFI HTTP boot. Debian package ipxe installs /usr/lib/ipxe.',
    ),
  ASSETS_MEMORY_BYTES: byteSize(1024 ** 3).describe(
    'Memory for whole asset files (kernels, initramfs) answered from RAM after their first request, least ' +
      'recently used dropped first; size and mtime are checked on every request. 0 turns it off.',
  ),
  IPXE_ARM64_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Directory of the arm64 iPXE binaries (ipxe.efi, snponly.efi; also served as ipxe-arm64.efi, ' +
        'snponly-arm64.efi) under /ipxe-bin/arm64/. Unset: IPXE_DIR/arm64 when that directory exists ' +
        "(where dhcp-proxy's TFTP takes them from), else no arm64 binaries.",
    ),
};

export const assetsConfigSchema = z.object(assetsConfigShape);
export type AssetsConfig = z.output<typeof assetsConfigSchema>;
