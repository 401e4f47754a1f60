import { TestingError, TestingErrorCode } from './errors.js';

export type WaitForOptions = { timeoutMs?: number; intervalMs?: number; what?: string };

/**
 * Polls `fn` until it returns a value other than undefined/false/null (or stops throwing) and returns it.
 * On timeout, throws a TestingError carrying the last thrown error as its cause.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<Exclude<T, undefined | false | null>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false && v !== null) return v as Exclude<T, undefined | false | null>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new TestingError(
        TestingErrorCode.timeout,
        `timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${detail}`,
        { cause: lastError },
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
