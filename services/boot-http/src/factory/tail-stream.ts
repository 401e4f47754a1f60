import { Readable } from 'node:stream';
import type { Download } from './download.js';

/**
 * Reads bytes [start, end] of a download while it is still being written: reads what is on disk, then waits for
 * the writer's next chunk. Ends when `end` is reached (or, with an unknown length, when the download completes);
 * fails with the download's error when the upstream fails, so the HTTP layer aborts this client's response.
 * Holds no reference itself: the caller keeps the download retained while the stream is in use.
 */
export class TailStream extends Readable {
  bytesRead = 0;
  readonly #download: Download;
  readonly #end: number;
  readonly #chunkBytes: number;
  #pos: number;
  #pumping = false;

  constructor(download: Download, start: number, end: number, chunkBytes: number) {
    super({ highWaterMark: chunkBytes });
    this.#download = download;
    this.#pos = start;
    this.#end = end;
    this.#chunkBytes = chunkBytes;
  }

  override _read(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    this.#pump().then(
      () => {
        this.#pumping = false;
      },
      (err: unknown) => {
        this.#pumping = false;
        this.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  /** Push until the consumer is full, the slice is done, or we must wait for the writer. */
  async #pump(): Promise<void> {
    const dl = this.#download;
    for (;;) {
      if (this.destroyed) return;
      if (this.#pos > this.#end) {
        this.push(null);
        return;
      }
      if (dl.state === 'failed') {
        this.destroy(dl.error ?? new Error('download failed'));
        return;
      }
      // The last byte of the body is held back until the download is verified (length, digest): a body that
      // fails verification then aborts every client before its Content-Length is met.
      const size = dl.meta?.size ?? null;
      const available = dl.state === 'complete' || size === null ? dl.written : Math.min(dl.written, size - 1);
      if (this.#pos < available) {
        const n = Math.min(this.#chunkBytes, available - this.#pos, this.#end - this.#pos + 1);
        const buf = Buffer.allocUnsafe(n);
        const got = await dl.read(buf, this.#pos);
        if (this.destroyed) return;
        if (got <= 0) throw new Error('short read from the download file');
        this.#pos += got;
        this.bytesRead += got;
        if (!this.push(got === n ? buf : buf.subarray(0, got))) return;
        continue;
      }
      if (dl.state === 'complete') {
        // Only reachable with an unknown length (end = Infinity): everything there is has been read.
        this.push(null);
        return;
      }
      await dl.changed();
    }
  }
}
