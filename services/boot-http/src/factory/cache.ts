import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { DiskStore, type StoreEntry } from './disk-store.js';
import { Download } from './download.js';
import { FactoryError } from './errors.js';
import { FailureMemo } from './failure-memo.js';
import { TailStream } from './tail-stream.js';

export type LookupResult = 'hit' | 'miss' | 'joined';
/** How a request was answered at lookup: a result, or waiting for a slot, a remembered failure, refused. */
export type LookupOutcome = LookupResult | 'queued' | 'failed-recently' | 'busy';

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
  /** Upstream downloads at once (FACTORY_MAX_DOWNLOADS); default 4. */
  readonly maxDownloads?: number;
  /** Cold keys waiting for a download slot (FACTORY_DOWNLOAD_QUEUE); beyond it, 'busy'. Default 32. */
  readonly maxQueued?: number;
  /** How long an upstream failure is answered from memory (FACTORY_FAILURE_TTL_MS); default 10 s, 0 = never. */
  readonly failureTtlMs?: number;
  /** Clock of the failure memo (tests). */
  readonly now?: () => number;
}

/** Metrics and logging attach here; every hook is optional and must not throw. */
export interface FactoryCacheHooks {
  lookup?(result: LookupOutcome): void;
  upstreamStarted?(key: string): void;
  upstreamBytes?(n: number): void;
  upstreamDone?(key: string, error: FactoryError | null): void;
  stored?(bytes: number, files: number): void;
  evicted?(key: string): void;
}

export function cacheHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A cold key waiting for a download slot; every request for it waits on the same entry. */
interface Queued {
  readonly key: string;
  readonly url: string;
  /** Requests waiting: each is handed one reference to the download when it starts. */
  holders: number;
  readonly started: Promise<Download>;
  resolve(dl: Download): void;
  reject(err: FactoryError): void;
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
  /** FIFO (Map order) of cold keys waiting for one of the `maxDownloads` slots. */
  readonly #queue = new Map<string, Queued>();
  readonly #failures: FailureMemo;
  readonly #maxDownloads: number;
  readonly #maxQueued: number;
  readonly #opts: FactoryCacheOptions;
  readonly #hooks: FactoryCacheHooks;
  readonly #chunkBytes: number;
  #closed = false;

  constructor(opts: FactoryCacheOptions) {
    this.#opts = opts;
    this.#hooks = opts.hooks ?? {};
    this.#chunkBytes = opts.chunkBytes ?? 256 * 1024;
    this.#maxDownloads = opts.maxDownloads ?? 4;
    this.#maxQueued = opts.maxQueued ?? 32;
    this.#failures = new FailureMemo({
      ttlMs: opts.failureTtlMs ?? 10_000,
      ...(opts.now === undefined ? {} : { now: opts.now }),
    });
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

  get stats(): { bytes: number; files: number; inflight: number; queued: number } {
    return {
      bytes: this.#store.bytes,
      files: this.#store.files,
      inflight: this.#inflight.size,
      queued: this.#queue.size,
    };
  }

  /**
   * A hold on the body for `key`, once its length is known: at once for a hit, after the upstream headers for a
   * miss (which may first wait for a download slot). Rejects with a FactoryError when the upstream fails before
   * its headers or failed within FACTORY_FAILURE_TTL_MS (the caller answers 502), or with code `busy` when every
   * slot and queue place is taken (503).
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
    const failure = this.#failures.recall(hash);
    if (failure !== null) {
      this.#hooks.lookup?.('failed-recently');
      throw failure;
    }
    let dl = this.#inflight.get(hash);
    const result: LookupResult = dl === undefined ? 'miss' : 'joined';
    if (dl === undefined && this.#inflight.size >= this.#maxDownloads) {
      const queued = this.#enqueue(key, hash, url);
      if (queued === null) {
        this.#hooks.lookup?.('busy');
        throw new FactoryError(
          'busy',
          `${this.#inflight.size} image downloads running and ${this.#queue.size} waiting ` +
            '(FACTORY_MAX_DOWNLOADS, FACTORY_DOWNLOAD_QUEUE); retry later',
        );
      }
      this.#hooks.lookup?.('queued');
      queued.holders += 1;
      this.#store.pin(hash);
      try {
        dl = await queued.started; // already retained for this request by #dequeue
      } catch (err) {
        this.#store.unpin(hash);
        throw err;
      }
    } else {
      this.#hooks.lookup?.(result);
      dl ??= this.#start(key, hash, url);
      dl.retain();
      this.#store.pin(hash);
    }
    const held = dl;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      held.release();
      this.#store.unpin(hash);
    };
    let meta;
    try {
      meta = await held.ready;
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
      open: (start, end) => new TailStream(held, start, end, chunk),
      release,
    };
  }

  /**
   * Start fetching `key` if it is neither cached, in flight, waiting nor recently failed; when every slot is busy
   * it waits in the queue if there is room, else nothing happens. Never throws, never pins.
   */
  prefetch(key: string, url: string): void {
    if (this.#closed) return;
    const hash = cacheHash(key);
    if (this.#store.get(hash) !== undefined || this.#inflight.has(hash) || this.#queue.has(hash)) return;
    if (this.#failures.recall(hash) !== null) return;
    if (this.#inflight.size < this.#maxDownloads) this.#start(key, hash, url);
    else this.#enqueue(key, hash, url);
  }

  /** Abort downloads in flight (their clients are aborted); cached files stay for the next start. */
  close(): void {
    this.#closed = true;
    for (const dl of this.#inflight.values()) dl.abort();
    const closed = new FactoryError('closed', 'factory cache closed');
    for (const queued of this.#queue.values()) queued.reject(closed);
    this.#queue.clear();
  }

  /** The queue entry for `hash` (joined or new), or null when the queue is full. */
  #enqueue(key: string, hash: string, url: string): Queued | null {
    const existing = this.#queue.get(hash);
    if (existing !== undefined) return existing;
    if (this.#queue.size >= this.#maxQueued) return null;
    let resolve!: (dl: Download) => void;
    let reject!: (err: FactoryError) => void;
    const started = new Promise<Download>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    started.catch(() => undefined); // a prefetch-only entry has nobody awaiting it
    const queued: Queued = { key, url, holders: 0, started, resolve, reject };
    this.#queue.set(hash, queued);
    return queued;
  }

  /** Start waiting downloads while slots are free (called when a download ends). */
  #dequeue(): void {
    for (const [hash, queued] of this.#queue) {
      if (this.#closed || this.#inflight.size >= this.#maxDownloads) return;
      this.#queue.delete(hash);
      const dl = this.#start(queued.key, hash, queued.url);
      for (let i = 0; i < queued.holders; i++) dl.retain();
      queued.resolve(dl);
    }
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
      // Upstream failures are answered from memory for a while; local ones (disk, shutdown) are not the upstream's.
      if (error.code.startsWith('upstream-')) this.#failures.remember(hash, error);
      // No await before the inflight entry is gone: the next request must start afresh, not join this failure.
      void rm(tempPath, { force: true }).catch(() => undefined);
    } finally {
      this.#store.unreserve(reserved);
      // Same tick as the commit's continuation: a new request finds either the entry or this download.
      if (this.#inflight.get(hash) === dl) this.#inflight.delete(hash);
      dl.release();
      this.#dequeue();
    }
    this.#hooks.upstreamDone?.(key, error);
  }
}

function etagFor(hash: string, size: number | null): string {
  return size === null ? `"f-${hash.slice(0, 24)}"` : `"f-${hash.slice(0, 24)}-${size.toString(16)}"`;
}
