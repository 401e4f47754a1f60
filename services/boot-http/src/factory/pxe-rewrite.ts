import { imageKey, isSchematicId, normalizeVersion, parseImageName } from './names.js';

export interface RewrittenScript {
  readonly script: string;
  /** Cache keys (`image/<id>/<version>/<file>`) of the images the script now points at: worth prefetching. */
  readonly images: readonly string[];
  /** http(s) URLs on image-loading lines that we could not point at our cache (the machine would need them). */
  readonly foreign: readonly string[];
}

// iPXE commands that download something (iPXE command reference: kernel/initrd/imgfetch/module/chain/...).
const FETCH_COMMANDS = new Set(['kernel', 'initrd', 'imgfetch', 'module', 'chain', 'imgexec', 'imgload']);
const URL_TOKEN = /^https?:\/\//;
// .../image/<schematic>/<version>/<file> at the end of the URL path (the factory's ExternalPXEURL may carry a path).
const IMAGE_PATH = /\/image\/([^/]+)\/([^/]+)\/([^/]+)$/;

/**
 * Point the factory's PXE script at our read-through cache: every `…/image/<id>/<ver>/<file>` URL becomes
 * `<base>/factory/image/<id>/<ver>/<file>`, so machines need neither HTTPS nor the internet. Everything else
 * (the kernel command line, comments, other commands) is kept byte for byte. Pure.
 *
 * The factory serves (standard) `kernel <pxe>/image/<id>/<ver>/kernel-<arch> <cmdline>`, `initrd …/initramfs-
 * <arch>.xz`, `boot`; (secure boot) `kernel …/metal-<arch>-secureboot.uki.efi`, `boot`.
 */
export function rewritePxeScript(script: string, base: string): RewrittenScript {
  const images: string[] = [];
  const foreign: string[] = [];
  const lines = script.split('\n').map((line) => {
    // Tokens are split on single spaces/tabs and re-joined with the same separators, so spacing survives.
    const parts = line.split(/([ \t\r]+)/);
    const command = parts.find((p) => p.trim() !== '') ?? '';
    let touched = false;
    const out = parts.map((token) => {
      if (!URL_TOKEN.test(token)) return token;
      const key = imageKeyOf(token);
      if (key === null) {
        if (FETCH_COMMANDS.has(command) && !touched) foreign.push(token);
        return token;
      }
      touched = true;
      images.push(key);
      return `${base}/factory/${key}`;
    });
    return out.join('');
  });
  return { script: lines.join('\n'), images, foreign };
}

function imageKeyOf(url: string): string | null {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return null;
  }
  const m = IMAGE_PATH.exec(pathname);
  if (m === null) return null;
  const [, id = '', rawVersion = '', file = ''] = m;
  const version = normalizeVersion(rawVersion);
  if (!isSchematicId(id) || version === null || parseImageName(file) === null) return null;
  return imageKey(id, version, file);
}
