import { z } from 'zod';

/**
 * Config fragment for local assets and the iPXE binaries. The lead merges this shape into the service's
 * `src/config.ts` schema (keys ARE env var names); nothing here reads `process.env`.
 */
export const assetsConfigShape = {
  ASSETS_DIR: z
    .string()
    .min(1)
    .default('/var/lib/metalbus/assets')
    .describe(
      'Directory served read-only under /assets/ (versioned sub-folders, e.g. talos/v1.9.0/vmlinuz). ' +
        'No listing; symlinks resolving outside it are refused.',
    ),
  IPXE_DIR: z
    .string()
    .min(1)
    .default('/usr/lib/ipxe')
    .describe(
      'Directory of the amd64 iPXE binaries (ipxe.efi, snponly.efi, undionly.kpxe), loaded into memory at start ' +
        'and served under /ipxe-bin/amd64/<file> for UEFI HTTP boot. Debian package ipxe installs /usr/lib/ipxe.',
    ),
  IPXE_ARM64_DIR: z
    .string()
    .min(1)
    .optional()
    .describe('Optional directory of the arm64 iPXE binaries (ipxe.efi, snponly.efi) served under /ipxe-bin/arm64/.'),
};

export const assetsConfigSchema = z.object(assetsConfigShape);
export type AssetsConfig = z.output<typeof assetsConfigSchema>;
