import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheHash } from '../src/factory/cache.js';
import { startFactoryApp, type FactoryApp } from './fixtures/assets/factory-app.js';
import { pseudoRandomBytes, startFakeFactory, type FakeFactory } from './fixtures/assets/fake-factory.js';
import { until } from './fixtures/assets/tree.js';

const MiB = 1024 * 1024;
const id = (n: number): string => createHash('sha256').update(`schematic-${n}`).digest('hex');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const imagePath = (n: number, file = 'initramfs-amd64.xz'): string => `/image/${id(n)}/v1.9.0/${file}`;
/** Is the body for an upstream path committed in the cache directory? */
const cachedOnDisk = (dir: string, path: string): boolean => {
  const h = cacheHash(path.slice(1));
  return existsSync(join(dir, 'data', h.slice(0, 2), h));
};

interface Fetched {
  status: number;
  sha: string;
  length: number;
  error: string | null;
}

/** GET and hash the body as it streams (1,000 bodies of MiBs are not kept in memory). */
async function fetchHash(url: string, dispatcher: Agent, headers: Record<string, string> = {}): Promise<Fetched> {
  const res = await request(url, { dispatcher, headers });
  const h = createHash('sha256');
  let length = 0;
  let error: string | null = null;
  try {
    for await (const c of res.body) {
      h.update(c as Buffer);
      length += (c as Buffer).length;
    }
  } catch (err) {
    error = (err as Error).name;
  }
  return { status: res.statusCode, sha: h.digest('hex'), length, error };
}

describe('factory image cache: single flight, streaming, failures, eviction (real HTTP)', () => {
  let fake: FakeFactory;
  let fa: FactoryApp;
  let client: Agent;
  // The failed-download memo's clock: moved past FACTORY_FAILURE_TTL_MS before a retry is expected to refetch.
  let skew = 0;
  const forgetFailures = (): void => void (skew += 10_001);

  beforeAll(async () => {
    fake = await startFakeFactory();
    fa = await startFactoryApp({
      factoryUrl: fake.url,
      cacheMaxBytes: Math.floor(3.5 * MiB),
      now: () => Date.now() + skew,
    });
    client = new Agent({ connections: 1100, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  });
  afterAll(async () => {
    await client.close();
    await fa.close();
    await fake.close();
  });

  const idle = (): Promise<void> => until(() => fa.factory.cache.stats.inflight === 0, 'downloads settled');

  it('1,000 concurrent cold requests → exactly 1 upstream fetch and 1,000 identical bodies', async () => {
    const path = imagePath(1);
    const body = pseudoRandomBytes(2 * MiB + 123, 1);
    fake.files.set(path, body);
    // Hold the upstream after its first 64 KiB until every request has reached the cache, so all 1,000 are
    // provably concurrent with the one download (and are streamed what has arrived meanwhile).
    fake.behave(path, { pauseAt: 64 * 1024 });
    const lookups0 = await fa.metric('metalbus_boot_http_factory_cache_lookups_total');
    const all = Array.from({ length: 1000 }, () => fetchHash(`${fa.url}/factory${path}`, client));
    for (;;) {
      if ((await fa.metric('metalbus_boot_http_factory_cache_lookups_total')) - lookups0 === 1000) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    fake.release(path);
    const results = await Promise.all(all);
    await idle();
    expect({
      statuses: [...new Set(results.map((r) => r.status))],
      digests: [...new Set(results.map((r) => r.sha))],
      lengths: [...new Set(results.map((r) => r.length))],
      errors: results.filter((r) => r.error !== null).length,
      upstreamHits: fake.hits.get(path),
      miss: await fa.metric('metalbus_boot_http_factory_cache_lookups_total', 'result=miss'),
      joined: await fa.metric('metalbus_boot_http_factory_cache_lookups_total', 'result=joined'),
      fetches: await fa.metric('metalbus_boot_http_factory_upstream_fetches_total'),
    }).toEqual({
      statuses: [200],
      digests: [sha(body)],
      lengths: [body.length],
      errors: 0,
      upstreamHits: 1,
      miss: 1,
      joined: 999,
      fetches: 1,
    });
  }, 60_000);

  it('early clients get bytes before the upstream has finished (slow upstream)', async () => {
    const path = imagePath(2);
    const body = pseudoRandomBytes(MiB, 2);
    fake.files.set(path, body);
    fake.behave(path, { pauseAt: MiB / 2 });
    const res = await request(`${fa.url}/factory${path}`, { dispatcher: client });
    const it = res.body[Symbol.asyncIterator]();
    const chunks: Buffer[] = [];
    let received = 0;
    while (received < 100_000) {
      const next = await it.next();
      if (next.done === true) break;
      chunks.push(next.value as Buffer);
      received += (next.value as Buffer).length;
    }
    const whileUpstreamPaused = {
      status: res.statusCode,
      gotBytes: received >= 100_000,
      upstreamCompleted: fake.completed.get(path) ?? 0,
      upstreamSent: fake.bytesSent.get(path),
    };
    fake.release(path);
    for (;;) {
      const next = await it.next();
      if (next.done === true) break;
      chunks.push(next.value as Buffer);
    }
    await idle();
    expect([whileUpstreamPaused, Buffer.concat(chunks).equals(body), fake.completed.get(path)]).toEqual([
      { status: 200, gotBytes: true, upstreamCompleted: 0, upstreamSent: MiB / 2 },
      true,
      1,
    ]);
  });

  it('upstream cut mid-body → streaming clients aborted, nothing cached, the next request refetches', async () => {
    const path = imagePath(3);
    const body = pseudoRandomBytes(MiB, 3);
    fake.files.set(path, body);
    fake.behave(path, { pauseAt: 256 * 1024, failAt: 512 * 1024, times: 1 });
    const errors0 = await fa.metric('metalbus_boot_http_factory_upstream_errors_total');
    // Two clients receiving bytes (headers sent) when the upstream connection is cut.
    const a = await request(`${fa.url}/factory${path}`, { dispatcher: client });
    const b = await request(`${fa.url}/factory${path}`, { dispatcher: client });
    const outcome = async (res: typeof a): Promise<string> => {
      let n = 0;
      try {
        for await (const c of res.body) n += (c as Buffer).length;
        return `complete ${n}`;
      } catch {
        return n > 0 && n < body.length ? 'aborted mid-body' : `aborted after ${n}`;
      }
    };
    const outcomes = Promise.all([outcome(a), outcome(b)]);
    await fake.paused(path);
    fake.release(path);
    const [oa, ob] = await outcomes;
    await until(() => fa.factory.cache.stats.inflight === 0, 'failure settled');
    const afterFailure = {
      errors: (await fa.metric('metalbus_boot_http_factory_upstream_errors_total')) - errors0,
      truncated: await fa.metric('metalbus_boot_http_factory_upstream_errors_total', 'code=upstream-truncated'),
      cached: cachedOnDisk(fa.cacheDir, path),
      tmp: await readdir(join(fa.cacheDir, 'tmp')),
    };
    forgetFailures();
    const again = await fetchHash(`${fa.url}/factory${path}`, client);
    await idle();
    expect({
      oa,
      ob,
      [`status ${a.statusCode}/${b.statusCode}`]: true,
      afterFailure,
      again,
      hits: fake.hits.get(path),
    }).toEqual({
      oa: 'aborted mid-body',
      ob: 'aborted mid-body',
      'status 200/200': true,
      afterFailure: { errors: 1, truncated: 1, cached: false, tmp: [] },
      again: { status: 200, sha: sha(body), length: body.length, error: null },
      hits: 2,
    });
  });

  it('failures before a client got headers → 502 with the reason', async () => {
    const p500 = imagePath(4);
    const pCut = imagePath(5);
    const pDigest = imagePath(6);
    fake.files.set(p500, pseudoRandomBytes(1000, 4));
    fake.files.set(pCut, pseudoRandomBytes(300_000, 5));
    fake.files.set(pDigest, pseudoRandomBytes(300_000, 6));
    fake.behave(p500, { status: 500, times: 1 });
    fake.behave(pCut, { failAt: 0, times: 1 }); // headers, then the connection drops before any byte
    fake.behave(pDigest, { headers: { 'repr-digest': `sha-256=:${Buffer.alloc(32).toString('base64')}:` }, times: 1 });
    const text = async (p: string): Promise<[number, string]> => {
      const res = await request(`${fa.url}/factory${p}`, { dispatcher: client });
      try {
        return [res.statusCode, (await res.body.text()).replace(fake.url, 'FAKE')];
      } catch {
        return [res.statusCode, 'aborted'];
      }
    };
    const got = [await text(p500), await text(pCut), await text(pDigest)];
    await idle();
    const cached = [p500, pCut, pDigest].map((p) => cachedOnDisk(fa.cacheDir, p));
    forgetFailures();
    const retry = [
      await fetchHash(`${fa.url}/factory${p500}`, client),
      await fetchHash(`${fa.url}/factory${pDigest}`, client),
    ];
    await idle();
    expect({ got, cached, retry: retry.map((r) => [r.status, r.length]) }).toEqual({
      got: [
        [502, `upstream error (upstream-status): GET FAKE${p500}: HTTP 500\n`],
        [502, `upstream error (upstream-truncated): GET FAKE${pCut}: connection lost after 0 of 300000 bytes\n`],
        // The digest is only known at the end: the last byte is held back until verified, so the client is
        // aborted before its Content-Length is met, and nothing is cached.
        [200, 'aborted'],
      ],
      cached: [false, false, false],
      retry: [
        [200, 1000],
        [200, 300_000],
      ],
    });
  });

  it('connect failure → 502 upstream-connect', async () => {
    const dead = await startFactoryApp({ factoryUrl: 'http://127.0.0.1:9', listen: false });
    try {
      const res = await dead.app.inject({ method: 'GET', url: `/factory${imagePath(1)}` });
      expect([res.statusCode, res.body.split(':')[0]]).toEqual([502, 'upstream error (upstream-connect)']);
    } finally {
      await dead.close();
    }
  });
});

describe('factory cache eviction under CACHE_MAX_BYTES (LRU)', () => {
  it('keeps the cache under the cap, evicting the least recently used', async () => {
    const fake = await startFakeFactory();
    const fa = await startFactoryApp({ factoryUrl: fake.url, cacheMaxBytes: Math.floor(3.5 * MiB) });
    const client = new Agent({ connections: 4 });
    try {
      for (let n = 10; n < 15; n++) fake.files.set(imagePath(n), pseudoRandomBytes(MiB, n));
      const get = async (n: number): Promise<void> => {
        const r = await fetchHash(`${fa.url}/factory${imagePath(n)}`, client);
        if (r.status !== 200 || r.length !== MiB) throw new Error(`GET ${n}: ${r.status} ${r.length}`);
        await until(() => fa.factory.cache.stats.inflight === 0, 'commit');
      };
      await get(10);
      await get(11);
      await get(12);
      await get(10); // hit: 10 becomes the most recently used, 11 the least
      await get(13); // 4 MiB > 3.5 MiB: evicts 11
      await get(14); // evicts 12
      const onDisk = [10, 11, 12, 13, 14].filter((n) => cachedOnDisk(fa.cacheDir, imagePath(n)));
      const state = { ...fa.factory.cache.stats, onDisk };
      await get(10); // still cached
      await get(11); // evicted: fetched again
      const hits = [10, 11, 12, 13, 14].map((n) => fake.hits.get(imagePath(n)));
      expect({ state, hits, evictions: await fa.metric('metalbus_boot_http_factory_cache_evictions_total') }).toEqual({
        state: { bytes: 3 * MiB, files: 3, inflight: 0, queued: 0, onDisk: [10, 13, 14] },
        hits: [1, 2, 1, 1, 1],
        evictions: 3,
      });
      expect(await fa.metric('metalbus_boot_http_factory_cache_bytes')).toBeLessThanOrEqual(3.5 * MiB);
    } finally {
      await client.close();
      await fa.close();
      await fake.close();
    }
  });
});
