import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { run } from './proc.js';

export interface ThroughputResult {
  readonly tool: string;
  readonly requests: number;
  readonly seconds: number;
  readonly bytes: number;
  readonly mbPerSec: number;
  readonly errors: number;
}

const UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Parse wrk's summary. wrk prints binary units ("33.16GB" = 33.16 × 2^30); we report MB/s as 10^6 bytes/s. */
export function parseWrk(out: string): ThroughputResult {
  const m = /(\d+) requests in ([\d.]+)(ms|s|m), ([\d.]+)([KMGT]?B) read/.exec(out);
  if (m === null) throw new Error(`cannot parse wrk output:\n${out}`);
  const seconds = Number(m[2]) * (m[3] === 'ms' ? 0.001 : m[3] === 'm' ? 60 : 1);
  const bytes = Number(m[4]) * (UNITS[m[5] ?? 'B'] ?? 1);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = (sock === null ? 0 : [1, 2, 3, 4].reduce((a, i) => a + Number(sock[i]), 0)) + Number(non2xx?.[1] ?? 0);
  return {
    tool: 'wrk',
    requests: Number(m[1]),
    seconds,
    bytes,
    mbPerSec: bytes / seconds / 1e6,
    errors,
  };
}

/**
 * Big-file throughput with wrk (C, epoll; the anchor figures used it): it spends far less CPU per byte than a Node
 * client would, which matters when client and server share 2 vCPUs. `--timeout 30s` because 64 connections sharing
 * a few GB/s need several seconds per 100 MB body (anchor-figures.md: the default 2 s produced bogus timeouts).
 */
export async function wrkThroughput(url: string, connections: number, seconds: number): Promise<ThroughputResult> {
  const out = await run('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--timeout', '30s', url]);
  return parseWrk(out);
}

/** Fallback when wrk is missing: undici with `connections` sockets, each downloading in a loop for `seconds`. */
export async function undiciThroughput(url: string, connections: number, seconds: number): Promise<ThroughputResult> {
  const agent = new Agent({ connections, pipelining: 1, bodyTimeout: 60_000, headersTimeout: 60_000 });
  const end = performance.now() + seconds * 1000;
  let bytes = 0;
  let requests = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        try {
          const res = await request(url, { dispatcher: agent });
          for await (const c of res.body) bytes += (c as Buffer).length;
          if (res.statusCode !== 200) errors++;
          requests++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  await agent.close();
  return { tool: 'undici', requests, seconds: secs, bytes, mbPerSec: bytes / secs / 1e6, errors };
}

export interface LatencyResult {
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
}

/** autocannon as a separate process (its own event loop, so it does not share the server's), JSON output. */
export async function autocannon(
  url: string,
  opts: { connections: number; seconds: number; method?: string },
): Promise<LatencyResult> {
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [bin, '-n', '-j', '-c', String(opts.connections), '-d', String(opts.seconds)];
  if (opts.method !== undefined) args.push('-m', opts.method);
  const out = await run(process.execPath, [...args, url]);
  const j = JSON.parse(out) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    errors: number;
    timeouts: number;
    non2xx: number;
  };
  return {
    reqPerSec: j.requests.average,
    p50Ms: j.latency.p50,
    p99Ms: j.latency.p99,
    errors: j.errors + j.timeouts + j.non2xx,
  };
}

/** HEAD (or GET) through the undici closed-loop client in its own process: see closed-loop.ts for why. */
export async function undiciLatency(
  repoRoot: string,
  url: string,
  opts: { connections: number; seconds: number; method: 'GET' | 'HEAD' },
): Promise<LatencyResult> {
  const out = await run(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'bench/http/closed-loop.ts'), JSON.stringify({ url, ...opts })],
    { cwd: repoRoot },
  );
  return JSON.parse(out) as LatencyResult;
}
