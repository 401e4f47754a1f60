import { createHash } from 'node:crypto';
import { close, open, read, write } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { request, type Dispatcher } from 'undici';
import { announcedSha256 } from './digest.js';
import { FactoryError, toFactoryError } from './errors.js';

export interface UpstreamMeta {
  /** Content-Length; null when the upstream did not send one (then nothing can be verified but the digest). */
  readonly size: number | null;
  readonly lastModifiedSec: number | null;
  readonly announcedSha256: string | null;
}

export interface DownloadOptions {
  readonly url: string;
  readonly dispatcher: Dispatcher;
  /** Longest wait for the headers, and between two body chunks. */
  readonly idleTimeoutMs: number;
  /** Created exclusively; removed on failure. The caller renames it once `finished` resolves. */
  readonly tempPath: string;
  readonly onBytes?: (n: number) => void;
}

export type DownloadState = 'connecting' | 'streaming' | 'complete' | 'failed';

/**
 * ONE upstream GET written to a temp file, observable while it runs: `written` grows as chunks land on disk and
 * readers (TailStream) read the same descriptor at their own pace, so early clients get bytes before the upstream
 * finished and nothing is buffered per client. The descriptor is reference counted: the owner holds one reference
 * and each reader one; it is closed when the last is released (a rename or unlink of the path does not matter).
 */
export class Download {
  state: DownloadState = 'connecting';
  meta: UpstreamMeta | null = null;
  written = 0;
  sha256: string | null = null;
  error: FactoryError | null = null;
  /** Resolves with the upstream headers' facts; rejects if the download fails before them. */
  readonly ready: Promise<UpstreamMeta>;
  /** Resolves once the whole body is on disk and verified; rejects on any failure. */
  readonly finished: Promise<void>;

  /** A plain descriptor with callback I/O: cheaper per call than a FileHandle on this hot path. */
  #fd: number | null = null;
  #refs = 1;
  #reads = 0;
  #waiters: (() => void)[] = [];
  readonly #abort = new AbortController();
  #resolveReady!: (m: UpstreamMeta) => void;
  #rejectReady!: (e: FactoryError) => void;
  #resolveFinished!: () => void;
  #rejectFinished!: (e: FactoryError) => void;

  constructor(readonly opts: DownloadOptions) {
    this.ready = new Promise((res, rej) => {
      this.#resolveReady = res;
      this.#rejectReady = rej;
    });
    this.finished = new Promise((res, rej) => {
      this.#resolveFinished = res;
      this.#rejectFinished = rej;
    });
    // Observers may come and go; an unobserved failure must not become an unhandled rejection.
    this.ready.catch(() => undefined);
    this.finished.catch(() => undefined);
    void this.#run();
  }

  /** Resolves at the next progress or state change. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  retain(): void {
    this.#refs += 1;
  }

  release(): void {
    this.#refs -= 1;
    this.#maybeClose();
  }

  /** Close only when nobody holds a reference AND no read is queued: a descriptor number must not be reused
   * under a pending pread. */
  #maybeClose(): void {
    if (this.#refs === 0 && this.#reads === 0 && this.#fd !== null) {
      close(this.#fd, () => undefined);
      this.#fd = null;
    }
  }

  /** Positional read of bytes already written (callers never ask beyond `written`). */
  read(buf: Buffer, position: number): Promise<number> {
    const fd = this.#fd;
    if (fd === null) return Promise.reject(this.error ?? new FactoryError('cache-io', 'download file is closed'));
    this.#reads += 1;
    return new Promise((resolve, reject) =>
      read(fd, buf, 0, buf.length, position, (err, n) => {
        this.#reads -= 1;
        this.#maybeClose();
        if (err === null) resolve(n);
        else reject(err);
      }),
    );
  }

  abort(): void {
    this.#abort.abort(new FactoryError('closed', 'factory cache closed'));
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #fail(err: FactoryError): void {
    if (this.state === 'failed' || this.state === 'complete') return;
    this.state = 'failed';
    this.error = err;
    this.#abort.abort(err);
    this.#rejectReady(err);
    this.#rejectFinished(err);
    this.#notify();
    unlink(this.opts.tempPath).catch(() => undefined);
  }

  async #run(): Promise<void> {
    const { opts } = this;
    try {
      this.#fd = await new Promise<number>((resolve, reject) =>
        open(opts.tempPath, 'wx+', (err, fd) => (err === null ? resolve(fd) : reject(err))),
      );
    } catch (err) {
      this.#fail(new FactoryError('cache-io', `cannot create ${opts.tempPath}`, { cause: err }));
      return;
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(opts.url, {
        method: 'GET',
        dispatcher: opts.dispatcher,
        headersTimeout: opts.idleTimeoutMs,
        bodyTimeout: opts.idleTimeoutMs,
        signal: this.#abort.signal,
      });
    } catch (err) {
      const coded = toFactoryError(this.#abort.signal.reason ?? err, false);
      const message = `GET ${opts.url}: ${coded.message}`;
      this.#fail(coded.code === 'closed' ? coded : new FactoryError(coded.code, message, { cause: err }));
      return;
    }
    if (res.statusCode !== 200) {
      res.body.dump().catch(() => undefined);
      this.#fail(
        new FactoryError('upstream-status', `GET ${opts.url}: HTTP ${res.statusCode}`, {
          upstreamStatus: res.statusCode,
        }),
      );
      return;
    }
    const meta = readMeta(res.headers);
    this.meta = meta;
    this.state = 'streaming';
    this.#resolveReady(meta);
    this.#notify();
    const hash = createHash('sha256');
    try {
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        if (this.state !== 'streaming') return;
        if (meta.size !== null && this.written + buf.length > meta.size) {
          throw new FactoryError('upstream-length-mismatch', `GET ${opts.url}: more bytes than Content-Length`);
        }
        hash.update(buf);
        await this.#write(buf);
        this.written += buf.length;
        opts.onBytes?.(buf.length);
        this.#notify();
      }
    } catch (err) {
      if (err instanceof FactoryError) {
        this.#fail(err);
      } else {
        const coded = toFactoryError(this.#abort.signal.reason ?? err, true);
        const of = meta.size === null ? '' : ` of ${meta.size}`;
        const message = `GET ${opts.url}: connection lost after ${this.written}${of} bytes`;
        this.#fail(coded.code === 'closed' ? coded : new FactoryError(coded.code, message, { cause: err }));
      }
      return;
    }
    if (this.state !== 'streaming') return;
    if (meta.size !== null && this.written !== meta.size) {
      this.#fail(
        new FactoryError('upstream-truncated', `GET ${opts.url}: ${this.written} of ${meta.size} bytes received`),
      );
      return;
    }
    const digest = hash.digest('hex');
    if (meta.announcedSha256 !== null && meta.announcedSha256 !== digest) {
      this.#fail(new FactoryError('upstream-digest-mismatch', `GET ${opts.url}: sha256 ${digest} not as announced`));
      return;
    }
    this.sha256 = digest;
    this.state = 'complete';
    this.#resolveFinished();
    this.#notify();
  }

  async #write(buf: Buffer): Promise<void> {
    const fd = this.#fd;
    if (fd === null) throw new FactoryError('cache-io', 'download file is closed');
    let off = 0;
    try {
      while (off < buf.length) {
        off += await new Promise<number>((resolve, reject) =>
          write(fd, buf, off, buf.length - off, this.written + off, (err, n) =>
            err === null ? resolve(n) : reject(err),
          ),
        );
      }
    } catch (err) {
      throw new FactoryError('cache-io', `write to ${this.opts.tempPath} failed`, { cause: err });
    }
  }
}

function readMeta(headers: Dispatcher.ResponseData['headers']): UpstreamMeta {
  const cl = headers['content-length'];
  const lm = headers['last-modified'];
  const size = typeof cl === 'string' && /^\d+$/.test(cl) ? Number(cl) : null;
  const lmMs = typeof lm === 'string' ? Date.parse(lm) : NaN;
  return {
    size,
    lastModifiedSec: Number.isFinite(lmMs) ? Math.floor(lmMs / 1000) : null,
    announcedSha256: announcedSha256(headers),
  };
}
