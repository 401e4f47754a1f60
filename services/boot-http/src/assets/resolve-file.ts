import { close, constants, fstat, open, read, realpath, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';

export type OpenRefusal = 'not-found' | 'outside-root' | 'not-a-file';

/** A small file's bytes (reused for `ttlMs`), or a plain descriptor for a big one (the caller closes it). */
export type OpenedFile =
  | { readonly kind: 'memory'; readonly body: Buffer; readonly size: number; readonly mtimeMs: number }
  | { readonly kind: 'fd'; readonly fd: number; readonly size: number; readonly mtimeMs: number };

export type OpenResult = { ok: true; value: OpenedFile } | { ok: false; error: OpenRefusal };

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export interface FileResolverOptions {
  /** ASSETS_DIR after realpath. */
  readonly realRoot: string;
  /** How long a resolved path (and a small file's bytes) is reused without touching the disk; 0 disables. */
  readonly ttlMs?: number;
  /** Files up to this size are read whole once per TTL and answered from memory. */
  readonly smallFileBytes?: number;
  /** Bound of the memory held for small files. */
  readonly maxSmallBytes?: number;
  readonly maxEntries?: number;
  /**
   * Memory for whole big files (kernels, initramfs images): the first request streams from disk while the file
   * is read once in the background; later requests are answered from memory while size and mtime still match.
   * 0 disables it.
   */
  readonly hotBytes?: number;
}

interface HotFile {
  readonly body: Buffer;
  readonly size: number;
  readonly mtimeMs: number;
}

interface Entry {
  readonly path: string;
  readonly until: number;
  readonly small: { body: Buffer; size: number; mtimeMs: number } | null;
}

/**
 * Open request paths below the root. Symlinks are allowed only when they resolve inside the root: the path goes
 * through realpath(3) and the result must start with `<root>/`; the resolved path is opened with O_NOFOLLOW
 * (O_NONBLOCK: a FIFO must not hang the open), and fstat of the opened descriptor must be a regular file, so a
 * directory or a device is never served.
 *
 * Why a TTL cache: on this VM every asynchronous fs call costs ~30 µs of main-thread time (waking a thread-pool
 * thread), and a small file needs realpath + open + fstat + read + close. Like nginx's open_file_cache, answers are
 * reused for `ttlMs` (default 1 s): small files (≤ 64 KiB: scripts, command lines, JSON) from memory, big files
 * by their resolved path (open + fstat still run per request, so size and mtime are current). A cached answer is
 * always a path that WAS inside the root, so staleness can only serve a file replaced inside the root up to one
 * TTL late, never one outside it.
 */
export class FileResolver {
  readonly #root: string;
  readonly #ttlMs: number;
  readonly #smallFileBytes: number;
  readonly #maxSmallBytes: number;
  readonly #maxEntries: number;
  readonly #cache = new Map<string, Entry>();
  #smallBytes = 0;
  readonly #hotBytes: number;
  /** Whole big files by resolved path; Map order is the LRU order (oldest first). */
  readonly #hot = new Map<string, HotFile>();
  readonly #loading = new Set<string>();
  #hotHeld = 0;

  constructor(opts: FileResolverOptions) {
    this.#root = opts.realRoot;
    this.#ttlMs = opts.ttlMs ?? 1000;
    this.#smallFileBytes = opts.smallFileBytes ?? 64 * 1024;
    this.#maxSmallBytes = opts.maxSmallBytes ?? 16 * 1024 * 1024;
    this.#maxEntries = opts.maxEntries ?? 4096;
    this.#hotBytes = opts.hotBytes ?? 0;
  }

  /** Bytes of big files currently held in memory. */
  hotBytesHeld(): number {
    return this.#hotHeld;
  }

  async open(segments: readonly string[], now = Date.now()): Promise<OpenResult> {
    const key = segments.join('/');
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.until >= now && cached.small !== null) {
      return { ok: true, value: { kind: 'memory', ...cached.small } };
    }
    const fresh = cached !== undefined && cached.until >= now;
    let path = fresh ? cached.path : null;
    if (path === null) {
      const real = await realpathOf(join(this.#root, ...segments));
      if (real === null) return this.#miss(key, 'not-found');
      if (!real.startsWith(this.#root + sep)) return this.#miss(key, 'outside-root');
      path = real;
    }
    const fd = await openFd(path);
    if (fd === null) return this.#miss(key, 'not-found');
    const st = await fstatFd(fd);
    if (st === null || !st.isFile()) {
      closeFd(fd);
      return this.#miss(key, st === null ? 'not-found' : 'not-a-file');
    }
    const until = fresh ? cached.until : now + this.#ttlMs;
    if (st.size <= this.#smallFileBytes && this.#ttlMs > 0) {
      const body = await readAll(fd, st.size);
      closeFd(fd);
      if (body === null) return this.#miss(key, 'not-found');
      const small = { body, size: st.size, mtimeMs: st.mtimeMs };
      this.#remember(key, { path, until: now + this.#ttlMs, small });
      return { ok: true, value: { kind: 'memory', ...small } };
    }
    this.#remember(key, { path, until, small: null });
    const hot = this.#hot.get(path);
    if (hot !== undefined && hot.size === st.size && hot.mtimeMs === st.mtimeMs) {
      closeFd(fd);
      this.#hot.delete(path);
      this.#hot.set(path, hot);
      return { ok: true, value: { kind: 'memory', body: hot.body, size: hot.size, mtimeMs: hot.mtimeMs } };
    }
    if (hot !== undefined) this.#dropHot(path);
    this.#loadHot(path, st);
    return { ok: true, value: { kind: 'fd', fd, size: st.size, mtimeMs: st.mtimeMs } };
  }

  /**
   * Reads a big file whole in the background (once per path at a time). Node has no sendfile: answering from
   * memory costs one copy into the socket where streaming costs a read copy, a thread-pool hop per chunk and the
   * socket copy, which halves the throughput of a boot storm on the same file.
   */
  #loadHot(path: string, st: Stats): void {
    if (st.size > this.#hotBytes || this.#loading.has(path)) return;
    this.#loading.add(path);
    void readFile(path)
      .then(async (body) => {
        const fd = await openFd(path);
        const after = fd === null ? null : await fstatFd(fd);
        if (fd !== null) closeFd(fd);
        // Only a file that did not change while it was read may be kept.
        if (after === null || after.size !== body.length || after.mtimeMs !== st.mtimeMs || body.length !== st.size)
          return;
        this.#dropHot(path);
        this.#hot.set(path, { body, size: body.length, mtimeMs: st.mtimeMs });
        this.#hotHeld += body.length;
        while (this.#hotHeld > this.#hotBytes) {
          const oldest = this.#hot.keys().next();
          if (oldest.done === true) break;
          this.#dropHot(oldest.value);
        }
      })
      .catch(() => undefined)
      .finally(() => this.#loading.delete(path));
  }

  #dropHot(path: string): void {
    const old = this.#hot.get(path);
    if (old === undefined) return;
    this.#hotHeld -= old.size;
    this.#hot.delete(path);
  }

  #miss(key: string, error: OpenRefusal): OpenResult {
    this.#forget(key);
    return { ok: false, error };
  }

  #remember(key: string, entry: Entry): void {
    if (this.#ttlMs <= 0) return;
    this.#forget(key);
    this.#cache.set(key, entry);
    this.#smallBytes += entry.small?.size ?? 0;
    while (this.#cache.size > this.#maxEntries || this.#smallBytes > this.#maxSmallBytes) {
      const oldest = this.#cache.keys().next();
      if (oldest.done === true) break;
      this.#forget(oldest.value);
    }
  }

  #forget(key: string): void {
    const old = this.#cache.get(key);
    if (old === undefined) return;
    this.#smallBytes -= old.small?.size ?? 0;
    this.#cache.delete(key);
  }
}

function realpathOf(path: string): Promise<string | null> {
  return new Promise((resolve) => realpath(path, (err, p) => resolve(err === null ? p : null)));
}

function openFd(path: string): Promise<number | null> {
  return new Promise((resolve) => open(path, OPEN_FLAGS, (err, fd) => resolve(err === null ? fd : null)));
}

function fstatFd(fd: number): Promise<Stats | null> {
  return new Promise((resolve) => fstat(fd, (err, st) => resolve(err === null ? st : null)));
}

/** The whole (small) file in one positional read; null if it changed size under us. */
function readAll(fd: number, size: number): Promise<Buffer | null> {
  const buf = Buffer.allocUnsafe(size);
  if (size === 0) return Promise.resolve(buf);
  return new Promise((resolve) =>
    read(fd, buf, 0, size, 0, (err, n) => resolve(err === null && n === size ? buf : null)),
  );
}

export function closeFd(fd: number): void {
  close(fd, () => undefined);
}
