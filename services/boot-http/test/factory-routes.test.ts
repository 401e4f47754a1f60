import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFactoryApp, type FactoryApp } from './fixtures/assets/factory-app.js';
import { FAKE_CMDLINE, pseudoRandomBytes, startFakeFactory, type FakeFactory } from './fixtures/assets/fake-factory.js';
import { stable, until } from './fixtures/assets/tree.js';

const ID = '376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba';
const FIX = new URL('./fixtures/assets/pxe/', import.meta.url);

describe('factory routes (inject, fake factory upstream)', () => {
  let fake: FakeFactory;
  let fa: FactoryApp;
  const kernel = pseudoRandomBytes(400_000, 21);
  const initrd = pseudoRandomBytes(900_000, 22);
  const uki = pseudoRandomBytes(500_000, 23);

  beforeAll(async () => {
    fake = await startFakeFactory();
    fake.files.set(`/image/${ID}/v1.9.0/kernel-amd64`, kernel);
    fake.files.set(`/image/${ID}/v1.9.0/initramfs-amd64.xz`, initrd);
    fake.files.set(`/image/${ID}/v1.9.0/metal-arm64-secureboot.uki.efi`, uki);
    fa = await startFactoryApp({ factoryUrl: fake.url, listen: false });
  });
  afterAll(async () => {
    await fa.close();
    await fake.close();
  });

  it('serves the factory PXE script rewritten to our cache (golden) and prefetches its images', async () => {
    const res = await fa.app.inject({
      method: 'GET',
      url: `/factory/pxe/${ID}/1.9.0/metal-amd64`, // without the v: the factory accepts both, so do we
      headers: { host: '10.5.0.2:8080' },
    });
    const golden = (await readFile(new URL('standard-amd64.rewritten.ipxe', FIX), 'utf8')).replace(
      /talos\.platform=.*metal\.provider\.address=10\.5\.0\.1:50042/,
      FAKE_CMDLINE,
    );
    expect([res.statusCode, res.headers['content-type'], res.body]).toEqual([200, 'text/plain; charset=utf-8', golden]);
    // Prefetch: both images arrive in the cache without any machine asking for them yet.
    await until(() => fa.factory.cache.stats.files === 2, 'prefetched kernel and initramfs');
    const secure = await fa.app.inject({
      method: 'GET',
      url: `/factory/pxe/${ID}/v1.9.0/metal-arm64-secureboot`,
      headers: { host: '10.5.0.2:8080' },
    });
    expect(secure.body).toBe(await readFile(new URL('secureboot-arm64.rewritten.ipxe', FIX), 'utf8'));
    await until(() => fa.factory.cache.stats.inflight === 0, 'uki prefetched');
    // A second script request is served from memory: one upstream GET per script.
    await fa.app.inject({ method: 'GET', url: `/factory/pxe/${ID}/v1.9.0/metal-amd64`, headers: { host: 'x' } });
    expect([
      fake.hits.get(`/pxe/${ID}/v1.9.0/metal-amd64`),
      fake.hits.get(`/image/${ID}/v1.9.0/kernel-amd64`),
      fake.hits.get(`/image/${ID}/v1.9.0/initramfs-amd64.xz`),
      fake.hits.get(`/image/${ID}/v1.9.0/metal-arm64-secureboot.uki.efi`),
    ]).toEqual([1, 1, 1, 1]);
  });

  it('cached images: HEAD, Range, ETag/304, byte-exact, and boot.asset events with cacheHit', async () => {
    const url = `/factory/image/${ID}/v1.9.0/kernel-amd64`;
    fa.events.length = 0;
    const etag = `"f-${createHash('sha256').update(`image/${ID}/v1.9.0/kernel-amd64`).digest('hex').slice(0, 24)}-${(400_000).toString(16)}"`;
    const get = await fa.app.inject({ method: 'GET', url });
    const head = await fa.app.inject({ method: 'HEAD', url });
    const range = await fa.app.inject({ method: 'GET', url, headers: { range: 'bytes=399990-' } });
    const cond = await fa.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
    const pick = (r: typeof get): unknown => [
      r.statusCode,
      r.headers['content-length'],
      r.headers['content-range'],
      r.headers['etag'],
      r.headers['cache-control'],
      r.headers['last-modified'],
    ];
    const imm = 'public, max-age=31536000, immutable';
    const lm = 'Tue, 01 Oct 2024 10:00:00 GMT';
    expect([pick(get), pick(head), pick(range), pick(cond)]).toEqual([
      [200, '400000', undefined, etag, imm, lm],
      [200, '400000', undefined, etag, imm, lm],
      [206, '10', 'bytes 399990-399999/400000', etag, imm, lm],
      [304, undefined, undefined, etag, imm, lm],
    ]);
    expect([get.rawPayload.equals(kernel), range.rawPayload.equals(kernel.subarray(399_990))]).toEqual([true, true]);
    await until(() => fa.events.length === 4, '4 events');
    const base = {
      schema: 1,
      machineId: 'mac-aabbccddeeff',
      transport: 'http',
      path: url,
      kind: 'kernel',
      cacheHit: true,
      source: 'factory',
      replica: 'test-1',
    };
    expect(fa.events.map(stable)).toEqual([
      { ...base, status: 200, bytes: 400_000, range: null },
      { ...base, status: 200, bytes: 0, range: null },
      { ...base, status: 206, bytes: 10, range: 'bytes 399990-399999/400000' },
      { ...base, status: 304, bytes: 0, range: null },
    ]);
  });

  it('a cold uki through the route is byte-exact and reported as a miss', async () => {
    const path = `/image/${ID}/v1.10.0/metal-amd64-secureboot.uki.efi`;
    fake.files.set(path, uki);
    fa.events.length = 0;
    const res = await fa.app.inject({ method: 'GET', url: `/factory${path}` });
    await until(() => fa.events.length === 1, 'event');
    expect([res.statusCode, res.rawPayload.equals(uki), fa.events[0]?.cacheHit, fa.events[0]?.kind]).toEqual([
      200,
      true,
      false,
      'uki',
    ]);
  });

  it('strict names: anything else is a 404 and never reaches the upstream', async () => {
    const hits0 = [...fake.hits.values()].reduce((a, b) => a + b, 0);
    const urls = [
      `/factory/image/${ID}/v1.9.0/kernel-x86_64`,
      `/factory/image/${ID}/v1.9.0/initramfs-amd64.xz.sha512`,
      `/factory/image/${ID}/latest/kernel-amd64`,
      `/factory/image/${ID.toUpperCase()}/v1.9.0/kernel-amd64`,
      `/factory/image/${ID.slice(1)}/v1.9.0/kernel-amd64`,
      `/factory/image/${ID}/v1.9.0/..%2f..%2fschematics`,
      `/factory/image/..%2f..%2f/v1.9.0/kernel-amd64`,
      `/factory/pxe/${ID}/v1.9.0/aws-amd64`,
      `/factory/pxe/${ID}/v1.9.0/metal-amd64%0akernel%20http://evil`,
      `/factory/pxe/not-an-id/v1.9.0/metal-amd64`,
    ];
    const statuses = [];
    for (const url of urls)
      statuses.push((await fa.app.inject({ method: 'GET', url, headers: { host: 'h' } })).statusCode);
    const hits1 = [...fake.hits.values()].reduce((a, b) => a + b, 0);
    expect([statuses, hits1 - hits0]).toEqual([Array(urls.length).fill(404), 0]);
  });

  it('PXE script: hostile Host → 400; upstream failure → 502 with the reason, not remembered', async () => {
    const bad = await fa.app.inject({
      method: 'GET',
      url: `/factory/pxe/${ID}/v1.9.0/metal-arm64`,
      headers: { host: 'evil.example/x y' },
    });
    fake.behave(`/pxe/${ID}/v1.9.0/metal-arm64`, { status: 500, times: 1 });
    const failed = await fa.app.inject({
      method: 'GET',
      url: `/factory/pxe/${ID}/v1.9.0/metal-arm64`,
      headers: { host: 'h' },
    });
    const ok = await fa.app.inject({
      method: 'GET',
      url: `/factory/pxe/${ID}/v1.9.0/metal-arm64`,
      headers: { host: 'h' },
    });
    expect([
      bad.statusCode,
      failed.statusCode,
      failed.body,
      ok.statusCode,
      ok.body.split('\n')[2]?.split(' ')[1],
    ]).toEqual([
      400,
      502,
      `upstream error (upstream-status): GET /pxe/${ID}/v1.9.0/metal-arm64: HTTP 500\n`,
      200,
      `http://h/factory/image/${ID}/v1.9.0/kernel-arm64`,
    ]);
  });
});
