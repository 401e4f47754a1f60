/**
 * A closed-loop HTTP load client on undici, run as its own process (`node --import tsx bench/http/closed-loop.ts
 * '<json>'`), printing one JSON line. It exists for HEAD: autocannon and wrk both wait for a body after a HEAD
 * response that carries a Content-Length, so they cannot measure HEAD; undici knows HEAD has no body.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

interface Args {
  url: string;
  method: 'GET' | 'HEAD';
  connections: number;
  seconds: number;
}

const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const u = new URL(a.url);
const pool = new Pool(u.origin, { connections: a.connections, pipelining: 1 });
const latencies: number[] = [];
let errors = 0;
const end = performance.now() + a.seconds * 1000;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: a.connections }, async () => {
    while (performance.now() < end) {
      const s = performance.now();
      try {
        const res = await pool.request({ path: u.pathname + u.search, method: a.method });
        await res.body.dump();
        if (res.statusCode >= 400) errors++;
        latencies.push(performance.now() - s);
      } catch {
        errors++;
      }
    }
  }),
);
const secs = (performance.now() - t0) / 1000;
await pool.close();
latencies.sort((x, y) => x - y);
const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
process.stdout.write(
  `${JSON.stringify({ reqPerSec: latencies.length / secs, p50Ms: q(0.5), p99Ms: q(0.99), errors })}\n`,
);
