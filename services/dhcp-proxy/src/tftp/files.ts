// The first-stage iPXE binaries, loaded once into memory at start (ARCHITECTURE.md: "held in memory"), and the
// request-path rules. Only regular files (symlinks to regular files count: Debian's ipxe.efi is one), the top
// level plus one subfolder level (`arm64/ipxe.efi`), each under a size cap, all under a total cap.
import { constants as fsConstants } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Result } from './errors.js';
import { TftpError } from './errors.js';

export type BootFile = { readonly name: string; readonly data: Buffer };

/** What the server reads files from: exact, already-normalised names. */
export type BootFiles = {
  get(name: string): BootFile | undefined;
  names(): readonly string[];
};

export type SkippedFile = {
  readonly name: string;
  readonly reason: 'not-regular' | 'too-large' | 'total-cap' | 'bad-name' | 'too-deep' | 'unreadable';
};

export type LoadedBootFiles = BootFiles & { readonly skipped: readonly SkippedFile[]; readonly totalBytes: number };

export type LoadBootFilesOptions = {
  readonly dir: string;
  /** Files larger than this are skipped (iPXE binaries are well under 2 MiB). */
  readonly maxFileBytes: number;
  /** Loading stops adding files once this many bytes are held. */
  readonly maxTotalBytes: number;
};

export type PathRefusal = 'empty' | 'absolute' | 'traversal' | 'backslash' | 'nul' | 'control-char';

/**
 * The lookup key for a requested file name, or why it is refused. One leading `/` is dropped, as tftpd-hpa
 * (`-s`) and Omni's provider (`path.Clean("/"+name)`) treat names as relative to the root; iPXE itself strips
 * it. Anything else that could climb or alias (`..`, `.`, empty segments, a second leading `/`, `\`, NUL,
 * control characters) is refused rather than cleaned, so one file has exactly one name.
 */
export function normaliseRequestPath(raw: string): Result<string, PathRefusal> {
  const name = raw.startsWith('/') ? raw.slice(1) : raw;
  if (name.length === 0) return { ok: false, error: 'empty' };
  if (name.startsWith('/')) return { ok: false, error: 'absolute' };
  if (name.includes('\\')) return { ok: false, error: 'backslash' };
  if (name.includes('\0')) return { ok: false, error: 'nul' };
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is being refused
  if (/[\x00-\x1f\x7f]/.test(name)) return { ok: false, error: 'control-char' };
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return { ok: false, error: 'traversal' };
  }
  return { ok: true, value: name };
}

/** An in-memory file set (also the Fixed/Empty fakes for tests, and how aliases can be added). */
export function createBootFiles(entries: Iterable<readonly [string, Buffer]>): BootFiles {
  const map = new Map<string, BootFile>();
  for (const [name, data] of entries) map.set(name, { name, data });
  const names = [...map.keys()].sort();
  return { get: (name) => map.get(name), names: () => names };
}

const PRINTABLE_NAME = /^[\x21-\x7e]+$/;

/** Reads IPXE_DIR into memory. Throws TftpError TFTP_IPXE_DIR_UNREADABLE when the directory cannot be listed. */
export async function loadBootFiles(options: LoadBootFilesOptions): Promise<LoadedBootFiles> {
  const top = await listDir(options.dir, true);
  const entries: Array<readonly [string, Buffer]> = [];
  const skipped: SkippedFile[] = [];
  let totalBytes = 0;

  const consider = async (name: string, path: string, depth: number): Promise<void> => {
    const checked = normaliseRequestPath(name);
    if (!checked.ok || !PRINTABLE_NAME.test(name.replaceAll('/', ''))) {
      skipped.push({ name, reason: 'bad-name' });
      return;
    }
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) return void skipped.push({ name, reason: 'unreadable' });
    if (info.isDirectory()) {
      if (depth > 0) return void skipped.push({ name, reason: 'too-deep' });
      for (const child of await listDir(path, false)) await consider(`${name}/${child}`, join(path, child), depth + 1);
      return;
    }
    const loaded = await readRegularFile(path, options.maxFileBytes);
    if (typeof loaded === 'string') return void skipped.push({ name, reason: loaded });
    if (totalBytes + loaded.length > options.maxTotalBytes) return void skipped.push({ name, reason: 'total-cap' });
    totalBytes += loaded.length;
    entries.push([name, loaded]);
  };

  for (const name of top) await consider(name, join(options.dir, name), 0);
  return { ...createBootFiles(entries), skipped, totalBytes };
}

async function listDir(path: string, required: boolean): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (cause) {
    if (!required) return [];
    throw new TftpError('TFTP_IPXE_DIR_UNREADABLE', `IPXE_DIR ${path} cannot be listed`, { cause });
  }
}

/**
 * Opens with O_NONBLOCK (a FIFO cannot block the open) and checks the opened handle itself, so a file swapped
 * after the directory listing cannot make the loader hang or read a device.
 */
async function readRegularFile(path: string, maxBytes: number): Promise<Buffer | SkippedFile['reason']> {
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK).catch(() => undefined);
  if (handle === undefined) return 'unreadable';
  try {
    const info = await handle.stat();
    if (!info.isFile()) return 'not-regular';
    if (info.size > maxBytes) return 'too-large';
    // Shared memory, so worker threads serve the same bytes without a copy (workers.ts).
    const data = Buffer.from(new SharedArrayBuffer(info.size));
    let filled = 0;
    while (filled < data.length) {
      const { bytesRead } = await handle.read(data, filled, data.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === data.length ? data : data.subarray(0, filled);
  } catch {
    return 'unreadable';
  } finally {
    await handle.close().catch(() => undefined);
  }
}
