import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { DiskStore, type StoreEntry } from './disk-store.js';
import { Download } from './download.js';
import { FactoryError } from './errors.js';
import { TailStream } from './tail-stream.js';

export type LookupResult = 'hit' | 'miss' | 'joined';

/** One client's hold on a cached or arriving body. `release()` exactly once, when the response has closed. */
export interface CachedBody {
  readonly result: LookupResult;
  /** Null only while an upstream body of unknown length is still arriving. */
  readonly size: number | null;
  readonly etag: string;
  readonly lastModifiedSec: number | null;
  /** Inclusive slice; `end` may be Infinity when the size is unknown. */
  open(start: number, end: number): Readable & { readonly bytesRead: number };
  release(): void;
}

export interface FactoryCacheOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly dispatcher: Dispatcher;
  readonly idleTimeoutMs: number;
  readonly chunkBytes?: number;
  readonly hooks?: FactoryCacheHooks;
}

/** Metrics and logging attach here; every hook is optional and must not throw. */
export interface FactoryCacheHooks {
  lookup?(result: LookupResult): void;
  upstreamStarted?(key: string): void;
  upstreamBytes?(n: number): void;
  upstreamDone?(key: string, error: FactoryError | null): void;
  stored?(bytes: number, files: number): void;
  evicted?(key: string): void;
}

export function cacheHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Read-through, single-flight cache of factory images on disk. The first request for a key starts ONE upstream
 * download into a temp file; every request for that key until it is committed reads the same temp file as it
 * grows (TailStream), so 1,000 cold clients cause one upstream fetch and all get bytes as they arrive. When the
 * body is complete and verified it is renamed into place and indexed; on any failure the temp file is removed,
 * nothing is indexed, and the next request starts a new download.
 *
 * ETag: strong, from the key and size: factory image URLs are content addressed (schematic id = hash of the
 * customization, plus a release version), so the bytes for a key never change and every replica computes the
 * same tag before it has the body.
 */
export class FactoryCache {
  readonly #store: DiskStore;
  readonly #inflight = new Map<string, Download>();
  readonly #opts: FactoryCacheOptions;
  readonly #hooks: FactoryCacheHooks;
  readonly #chunkBytes: number;
  #closed = false;

  constructor(opts: FactoryCacheOptions) {
    this.#opts = opts;
    this.#hooks = opts.hooks ?? {};
    this.#chunkBytes = opts.chunkBytes ?? 256 * 1024;
    this.#store = new DiskStore({
      dir: opts.dir,
      maxBytes: opts.maxBytes,
      onChange: (bytes, files) => this.#hooks.stored?.(bytes, files),
      onEvict: (entry) => this.#hooks.evicted?.(entry.key),
    });
  }

  init(): Promise<void> {
    return this.#store.init();
  }

  get stats(): { bytes: number; files: number; inflight: number } {
    return { bytes: this.#store.bytes, files: this.#store.files, inflight: this.#inflight.size };
  }

  /**
   * A hold on the body for `key`, once its length is known: at once for a hit, after the upstream headers for a
   * miss. Rejects with a FactoryError when the upstream fails before its headers (the caller answers 502).
   */
  async acquire(key: string, url: string): Promise<CachedBody> {
    if (this.#closed) throw new FactoryError('closed', 'factory cache closed');
    const hash = cacheHash(key);
    const entry = this.#store.get(hash);
    if (entry !== undefined) {
      this.#hooks.lookup?.('hit');
      this.#store.pin(hash);
      return this.#fromEntry(entry);
    }
    let dl = this.#inflight.get(hash);
    const result: LookupResult = dl === undefined ? 'miss' : 'joined';
    this.#hooks.lookup?.(result);
    dl ??= this.#start(key, hash, url);
    dl.retain();
    this.#store.pin(hash);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      dl.release();
      this.#store.unpin(hash);
    };
    let meta;
    try {
      meta = await dl.ready;
    } catch (err) {
      release();
      throw err;
    }
    const chunk = this.#chunkBytes;
    return {
      result,
      size: meta.size,
      etag: etagFor(hash, meta.size),
      lastModifiedSec: meta.lastModifiedSec,
      open: (start, end) => new TailStream(dl, start, end, chunk),
      release,
    };
  }

  /** Start fetching `key` if it is neither cached nor in flight; never throws, never pins. */
  prefetch(key: string, url: string): void {
    if (this.#closed) return;
    const hash = cacheHash(key);
    if (this.#store.get(hash) !== undefined || this.#inflight.has(hash)) return;
    this.#start(key, hash, url);
  }

  /** Abort downloads in flight (their clients are aborted); cached files stay for the next start. */
  close(): void {
    this.#closed = true;
    for (const dl of this.#inflight.values()) dl.abort();
  }

  #fromEntry(entry: StoreEntry): CachedBody {
    let released = false;
    const chunk = this.#chunkBytes;
    return {
      result: 'hit',
      size: entry.size,
      etag: etagFor(entry.hash, entry.size),
      lastModifiedSec: entry.lastModifiedSec,
      // Pinned, so not evicted while this hold exists: the path stays valid until release().
      open: (start, end) => createReadStream(entry.path, { start, end, highWaterMark: chunk }),
      release: () => {
        if (released) return;
        released = true;
        this.#store.unpin(entry.hash);
      },
    };
  }

  #start(key: string, hash: string, url: string): Download {
    const tempPath = this.#store.tempPath(hash);
    const dl = new Download({
      url,
      dispatcher: this.#opts.dispatcher,
      idleTimeoutMs: this.#opts.idleTimeoutMs,
      tempPath,
      onBytes: (n) => this.#hooks.upstreamBytes?.(n),
    });
    this.#inflight.set(hash, dl);
    this.#hooks.upstreamStarted?.(key);
    void this.#settle(key, hash, dl, tempPath);
    return dl;
  }

  /** Owner side of one download: reserve room, commit or clean up, then drop the owner's reference. */
  async #settle(key: string, hash: string, dl: Download, tempPath: string): Promise<void> {
    let reserved = 0;
    let error: FactoryError | null = null;
    try {
      const meta = await dl.ready;
      reserved = meta.size ?? 0;
      this.#store.reserve(reserved);
      await dl.finished;
      this.#store.unreserve(reserved);
      reserved = 0;
      await this.#store.commit(hash, tempPath, {
        key,
        size: dl.written,
        sha256: dl.sha256 ?? '',
        lastModifiedSec: meta.lastModifiedSec,
        storedAt: new Date().toISOString(),
      });
    } catch (err) {
      error = err instanceof FactoryError ? err : new FactoryError('cache-io', 'commit failed', { cause: err });
      // No await before the inflight entry is gone: the next request must start afresh, not join this failure.
      void rm(tempPath, { force: true }).catch(() => undefined);
    } finally {
      this.#store.unreserve(reserved);
      // Same tick as the commit's continuation: a new request finds either the entry or this download.
      if (this.#inflight.get(hash) === dl) this.#inflight.delete(hash);
      dl.release();
    }
    this.#hooks.upstreamDone?.(key, error);
  }
}

function etagFor(hash: string, size: number | null): string {
  return size === null ? `"f-${hash.slice(0, 24)}"` : `"f-${hash.slice(0, 24)}-${size.toString(16)}"`;
}
