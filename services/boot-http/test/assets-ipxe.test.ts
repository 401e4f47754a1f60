import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipxeBinRoutes } from '../src/assets/ipxe-routes.js';
import { arm64DirFor } from '../src/assets/ipxe-store.js';
import { pseudoRandomBytes } from './fixtures/assets/fake-factory.js';
import { harness, MACHINE, MTIME_SEC, stable, until, type Harness } from './fixtures/assets/tree.js';

const LM = 'Tue, 01 Oct 2024 10:00:00 GMT';

describe('GET|HEAD /ipxe-bin/<arch>/<file> (in memory)', () => {
  let dir: string;
  let h: Harness;
  const efi = pseudoRandomBytes(1_000_003, 11);
  const kpxe = pseudoRandomBytes(70_001, 12);
  const armEfi = pseudoRandomBytes(900_000, 13);
  const etag = (b: Buffer): string => `"${createHash('sha256').update(b).digest('hex').slice(0, 32)}"`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-ipxe-'));
    await mkdir(join(dir, 'amd64'));
    await mkdir(join(dir, 'arm64'));
    // snponly.efi is deliberately missing on amd64: it must be a 404, not a start-up failure.
    for (const [path, body] of [
      ['amd64/ipxe.efi', efi],
      ['amd64/undionly.kpxe', kpxe],
      ['arm64/ipxe.efi', armEfi],
      ['amd64/notlisted.efi', kpxe],
    ] as const) {
      await writeFile(join(dir, path), body);
      await utimes(join(dir, path), MTIME_SEC, MTIME_SEC);
    }
    h = harness();
    await h.app.register(ipxeBinRoutes, {
      amd64Dir: join(dir, 'amd64'),
      arm64Dir: join(dir, 'arm64'),
      reporter: h.reporter,
    });
    await h.app.ready();
  });
  afterAll(async () => {
    await h.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves GET, HEAD, Range and conditionals byte-exact', async () => {
    const url = '/ipxe-bin/amd64/ipxe.efi';
    const get = await h.app.inject({ method: 'GET', url });
    const head = await h.app.inject({ method: 'HEAD', url });
    const range = await h.app.inject({ method: 'GET', url, headers: { range: 'bytes=1000-1999' } });
    const inm = await h.app.inject({ method: 'HEAD', url, headers: { 'if-none-match': etag(efi) } });
    const arm = await h.app.inject({ method: 'GET', url: '/ipxe-bin/arm64/ipxe.efi', headers: { range: 'bytes=-5' } });
    const pick = (r: typeof get): unknown => ({
      status: r.statusCode,
      type: r.headers['content-type'],
      length: r.headers['content-length'],
      range: r.headers['content-range'],
      etag: r.headers['etag'],
      lm: r.headers['last-modified'],
    });
    expect([pick(get), pick(head), pick(range), pick(inm), pick(arm)]).toEqual([
      { status: 200, type: 'application/octet-stream', length: '1000003', range: undefined, etag: etag(efi), lm: LM },
      { status: 200, type: 'application/octet-stream', length: '1000003', range: undefined, etag: etag(efi), lm: LM },
      {
        status: 206,
        type: 'application/octet-stream',
        length: '1000',
        range: 'bytes 1000-1999/1000003',
        etag: etag(efi),
        lm: LM,
      },
      { status: 304, type: undefined, length: undefined, range: undefined, etag: etag(efi), lm: LM },
      {
        status: 206,
        type: 'application/octet-stream',
        length: '5',
        range: 'bytes 899995-899999/900000',
        etag: etag(armEfi),
        lm: LM,
      },
    ]);
    expect(get.rawPayload.equals(efi)).toBe(true);
    expect(head.rawPayload.length).toBe(0);
    expect(range.rawPayload.equals(efi.subarray(1000, 2000))).toBe(true);
    expect(arm.rawPayload.equals(armEfi.subarray(899995))).toBe(true);
  });

  it('404 for missing, unlisted, unknown arch and path tricks', async () => {
    const urls = [
      '/ipxe-bin/amd64/snponly.efi',
      '/ipxe-bin/amd64/notlisted.efi',
      '/ipxe-bin/arm64/undionly.kpxe',
      '/ipxe-bin/riscv64/ipxe.efi',
      '/ipxe-bin/amd64/..%2f..%2famd64%2fipxe.efi',
      '/ipxe-bin/amd64/ipxe.efi%00',
      '/ipxe-bin/amd64/',
    ];
    const statuses = [];
    for (const url of urls) statuses.push((await h.app.inject({ method: 'GET', url })).statusCode);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 404, 404]);
  });

  it('publishes boot.asset with source ipxe and kind ipxe', async () => {
    h.events.length = 0;
    await h.app.inject({ method: 'GET', url: '/ipxe-bin/amd64/undionly.kpxe' });
    await until(() => h.events.length === 1, 'event');
    expect(h.events.map(stable)).toEqual([
      {
        schema: 1,
        machineId: MACHINE,
        transport: 'http',
        path: '/ipxe-bin/amd64/undionly.kpxe',
        kind: 'ipxe',
        status: 200,
        bytes: 70_001,
        range: null,
        cacheHit: null,
        source: 'ipxe',
        replica: 'test-1',
      },
    ]);
  });
});

describe('IPXE_ARM64_DIR default: <IPXE_DIR>/arm64 (the layout dhcp-proxy serves over TFTP)', () => {
  let dir: string;
  const efi = pseudoRandomBytes(5_000, 21);
  const armEfi = pseudoRandomBytes(6_000, 22);
  const armSnp = pseudoRandomBytes(7_000, 23);
  const otherArm = pseudoRandomBytes(8_000, 24);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-ipxe-arm-'));
    await mkdir(join(dir, 'ipxe', 'arm64'), { recursive: true });
    await mkdir(join(dir, 'elsewhere'));
    await mkdir(join(dir, 'no-arm'));
    await writeFile(join(dir, 'ipxe', 'ipxe.efi'), efi);
    await writeFile(join(dir, 'ipxe', 'arm64', 'ipxe.efi'), armEfi);
    await writeFile(join(dir, 'ipxe', 'arm64', 'snponly.efi'), armSnp);
    await writeFile(join(dir, 'elsewhere', 'ipxe.efi'), otherArm);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Status and body digest of each arm64 URL for a given IPXE_DIR / IPXE_ARM64_DIR. */
  async function serve(amd64Dir: string, arm64Dir?: string): Promise<Record<string, string>> {
    const h = harness();
    await h.app.register(ipxeBinRoutes, {
      amd64Dir,
      ...(arm64Dir === undefined ? {} : { arm64Dir }),
      reporter: h.reporter,
    });
    const out: Record<string, string> = {};
    for (const file of ['ipxe.efi', 'ipxe-arm64.efi', 'snponly-arm64.efi']) {
      const r = await h.app.inject({ method: 'GET', url: `/ipxe-bin/arm64/${file}` });
      out[file] = r.statusCode === 200 ? sha(r.rawPayload) : String(r.statusCode);
    }
    await h.app.close();
    return out;
  }
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex').slice(0, 12);

  it('serves arm64 builds and their dhcp-proxy names from <IPXE_DIR>/arm64 when IPXE_ARM64_DIR is unset', async () => {
    expect({
      defaulted: await serve(join(dir, 'ipxe')),
      overridden: await serve(join(dir, 'ipxe'), join(dir, 'elsewhere')),
      none: await serve(join(dir, 'no-arm')),
      resolved: await arm64DirFor(join(dir, 'ipxe'), undefined),
    }).toEqual({
      defaulted: { 'ipxe.efi': sha(armEfi), 'ipxe-arm64.efi': sha(armEfi), 'snponly-arm64.efi': sha(armSnp) },
      overridden: { 'ipxe.efi': sha(otherArm), 'ipxe-arm64.efi': sha(otherArm), 'snponly-arm64.efi': '404' },
      none: { 'ipxe.efi': '404', 'ipxe-arm64.efi': '404', 'snponly-arm64.efi': '404' },
      resolved: join(dir, 'ipxe', 'arm64'),
    });
  });
});
