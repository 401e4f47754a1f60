import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

export interface StormResult {
  readonly machines: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly mbPerSec: number;
  readonly ttlbP50: number;
  readonly ttlbP99: number;
  readonly ttlbMax: number;
  readonly errors: number;
}

/**
 * `machines` simulated iPXE clients starting together, each doing what a booting machine does: fetch the factory
 * PXE script from boot-http, then its kernel, then its initramfs (sequentially, one connection each). Time to last
 * byte is per machine, from the common start. A body of the wrong length counts as an error.
 */
export async function storm(opts: {
  baseUrl: string;
  pxePath: string;
  machines: number;
  expectedBytes: readonly number[];
}): Promise<StormResult> {
  const agent = new Agent({
    connections: opts.machines,
    pipelining: 1,
    headersTimeout: 300_000,
    bodyTimeout: 300_000,
  });
  let bytes = 0;
  let errors = 0;
  const ttlb: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.machines }, async () => {
      try {
        const script = await (await request(`${opts.baseUrl}${opts.pxePath}`, { dispatcher: agent })).body.text();
        const urls = [...script.matchAll(/^(?:kernel|initrd) (\S+)/gm)].map((m) => m[1] ?? '');
        if (urls.length !== opts.expectedBytes.length) throw new Error(`unexpected script: ${script}`);
        for (const [i, url] of urls.entries()) {
          const res = await request(url, { dispatcher: agent });
          let n = 0;
          for await (const c of res.body) n += (c as Buffer).length;
          bytes += n;
          if (res.statusCode !== 200 || n !== opts.expectedBytes[i]) errors++;
        }
        ttlb.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await agent.close();
  ttlb.sort((a, b) => a - b);
  const q = (p: number): number => ttlb[Math.min(ttlb.length - 1, Math.floor(p * ttlb.length))] ?? NaN;
  return {
    machines: opts.machines,
    bytes,
    seconds,
    mbPerSec: bytes / seconds / 1e6,
    ttlbP50: q(0.5) / 1000,
    ttlbP99: q(0.99) / 1000,
    ttlbMax: (ttlb[ttlb.length - 1] ?? NaN) / 1000,
    errors,
  };
}
