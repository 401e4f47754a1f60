import { performance } from 'node:perf_hooks';

/** Closed-loop load: `concurrency` workers run `op` back to back for `seconds`; worker w starts at BMC w % bmcs. */
export interface LoadResult {
  readonly ok: number;
  readonly failed: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly firstError?: string;
}

export async function closedLoop(
  bmcs: number,
  concurrency: number,
  seconds: number,
  op: (bmc: number) => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let k = w; performance.now() < end; k++) {
        const t0 = performance.now();
        try {
          await op(k % bmcs);
          latencies.push(performance.now() - t0);
        } catch (err) {
          failed += 1;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  const wall = (performance.now() - start) / 1000;
  latencies.sort((x, y) => x - y);
  const q = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    ok: latencies.length,
    failed,
    seconds: wall,
    opsPerSecond: latencies.length / wall,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    ...(firstError === undefined ? {} : { firstError }),
  };
}
