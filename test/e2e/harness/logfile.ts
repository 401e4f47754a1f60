import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2eError, E2eErrorCode } from './errors.js';
import type { Child } from './processes.js';

/** Reads a file that another process appends to (a serial console, a service log), from where it left off. */
export class GrowingFile {
  private offset = 0;
  private text = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(readonly path: string) {}

  /** Everything written so far. A file that does not exist yet reads as empty. */
  async read(): Promise<string> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch {
      return this.text;
    }
    try {
      const chunk = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.text += this.decoder.write(chunk.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    return this.text;
  }

  async tail(lines = 25): Promise<string> {
    return (await this.read()).replace(/\r/g, '').split('\n').slice(-lines).join('\n');
  }
}

export type WaitOptions = {
  timeoutMs: number;
  /** Give up early when this process exits (after one last read). */
  child?: Child;
  /** Names what is awaited, for the error message. */
  what: string;
  pollMs?: number;
};

/**
 * Poll `file` until `match` returns a value; resolves with it and the performance.now() at which it was seen.
 * Timing out or the child exiting rejects with an E2eError that carries the tail of the file.
 */
export async function waitForText<T>(
  file: GrowingFile,
  match: (text: string) => T | undefined,
  opts: WaitOptions,
): Promise<{ value: T; seenAt: number }> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    const exitedBefore = opts.child?.exitInfo();
    const value = match(await file.read());
    if (value !== undefined) return { value, seenAt: performance.now() };
    if (exitedBefore) {
      const how = exitedBefore.signal ?? `code ${String(exitedBefore.code)}`;
      throw new E2eError(
        E2eErrorCode.childExited,
        `${opts.child?.name ?? 'process'} exited (${how}) before ${opts.what}; tail of ${file.path}:`,
        await file.tail(),
      );
    }
    if (performance.now() > deadline) {
      throw new E2eError(
        E2eErrorCode.timeout,
        `no ${opts.what} within ${opts.timeoutMs} ms; tail of ${file.path}:`,
        await file.tail(),
      );
    }
    await sleep(opts.pollMs ?? 50);
  }
}
