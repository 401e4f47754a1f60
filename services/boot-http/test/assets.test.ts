import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetRoutes } from '../src/assets/local-routes.js';
import {
  harness,
  makeAssetTree,
  MACHINE,
  stable,
  until,
  type AssetTree,
  type Harness,
} from './fixtures/assets/tree.js';

// Known constants of the fixture: vmlinuz is 300,001 bytes with mtime 2024-10-01T10:00:00Z.
const SIZE = 300_001;
const ETAG = '"493e1-1924785bd00"';
const LM = 'Tue, 01 Oct 2024 10:00:00 GMT';
const URL = '/assets/talos/v1.9.0/vmlinuz';
const OCTET = 'application/octet-stream';

const PROJECTED = [
  'content-type',
  'content-length',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
  'cache-control',
] as const;

function project(headers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of PROJECTED) if (headers[k] !== undefined) out[k] = headers[k];
  return out;
}

const full = {
  'content-type': OCTET,
  'content-length': String(SIZE),
  'accept-ranges': 'bytes',
  etag: ETAG,
  'last-modified': LM,
};
const partial = (a: number, b: number): Record<string, string> => ({
  'content-type': OCTET,
  'content-length': String(b - a + 1),
  'content-range': `bytes ${a}-${b}/${SIZE}`,
  'accept-ranges': 'bytes',
  etag: ETAG,
  'last-modified': LM,
});
const unsatisfiable = { 'content-length': '0', 'content-range': `bytes */${SIZE}`, etag: ETAG, 'last-modified': LM };
const notModified = { etag: ETAG, 'last-modified': LM };

type Case = {
  name: string;
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  status: number;
  expect: Record<string, string>;
  /** Inclusive byte slice of the fixture the body must equal; null = empty body. */
  body: [number, number] | null;
};

const cases: Case[] = [
  { name: 'GET whole file', status: 200, expect: full, body: [0, SIZE - 1] },
  { name: 'HEAD: headers of GET, no body', method: 'HEAD', status: 200, expect: full, body: null },
  { name: 'first 100 bytes', headers: { range: 'bytes=0-99' }, status: 206, expect: partial(0, 99), body: [0, 99] },
  {
    name: 'open-ended',
    headers: { range: 'bytes=299990-' },
    status: 206,
    expect: partial(299990, SIZE - 1),
    body: [299990, SIZE - 1],
  },
  {
    name: 'suffix',
    headers: { range: 'bytes=-10' },
    status: 206,
    expect: partial(SIZE - 10, SIZE - 1),
    body: [SIZE - 10, SIZE - 1],
  },
  {
    name: 'suffix longer than file',
    headers: { range: 'bytes=-400000' },
    status: 206,
    expect: partial(0, SIZE - 1),
    body: [0, SIZE - 1],
  },
  {
    name: 'last-pos clamped',
    headers: { range: 'bytes=100-99999999999' },
    status: 206,
    expect: partial(100, SIZE - 1),
    body: [100, SIZE - 1],
  },
  {
    name: 'unit case-insensitive, spaces',
    headers: { range: 'Bytes= 5-9' },
    status: 206,
    expect: partial(5, 9),
    body: [5, 9],
  },
  {
    name: 'last byte only',
    headers: { range: `bytes=${SIZE - 1}-${SIZE - 1}` },
    status: 206,
    expect: partial(SIZE - 1, SIZE - 1),
    body: [SIZE - 1, SIZE - 1],
  },
  {
    name: 'start beyond end → 416',
    headers: { range: `bytes=${SIZE}-` },
    status: 416,
    expect: unsatisfiable,
    body: null,
  },
  { name: 'suffix -0 → 416', headers: { range: 'bytes=-0' }, status: 416, expect: unsatisfiable, body: null },
  {
    name: 'multi-range → 200 whole',
    headers: { range: 'bytes=0-1,5-6' },
    status: 200,
    expect: full,
    body: [0, SIZE - 1],
  },
  {
    name: 'last < first is invalid → 200',
    headers: { range: 'bytes=5-1' },
    status: 200,
    expect: full,
    body: [0, SIZE - 1],
  },
  { name: 'unknown unit → 200', headers: { range: 'items=0-1' }, status: 200, expect: full, body: [0, SIZE - 1] },
  { name: 'garbage → 200', headers: { range: 'bytes=abc' }, status: 200, expect: full, body: [0, SIZE - 1] },
  {
    name: 'HEAD ignores Range',
    method: 'HEAD',
    headers: { range: 'bytes=0-9' },
    status: 200,
    expect: full,
    body: null,
  },
  {
    name: 'If-None-Match same → 304',
    headers: { 'if-none-match': ETAG },
    status: 304,
    expect: notModified,
    body: null,
  },
  {
    name: 'If-None-Match in a list, weak → 304',
    headers: { 'if-none-match': `"x", W/${ETAG}` },
    status: 304,
    expect: notModified,
    body: null,
  },
  { name: 'If-None-Match * → 304', headers: { 'if-none-match': '*' }, status: 304, expect: notModified, body: null },
  {
    name: 'If-None-Match other → 200',
    headers: { 'if-none-match': '"other"' },
    status: 200,
    expect: full,
    body: [0, SIZE - 1],
  },
  {
    name: 'HEAD If-None-Match → 304',
    method: 'HEAD',
    headers: { 'if-none-match': ETAG },
    status: 304,
    expect: notModified,
    body: null,
  },
  {
    name: 'If-Modified-Since = Last-Modified → 304',
    headers: { 'if-modified-since': LM },
    status: 304,
    expect: notModified,
    body: null,
  },
  {
    name: 'If-Modified-Since later → 304',
    headers: { 'if-modified-since': 'Wed, 02 Oct 2024 00:00:00 GMT' },
    status: 304,
    expect: notModified,
    body: null,
  },
  {
    name: 'If-Modified-Since earlier → 200',
    headers: { 'if-modified-since': 'Mon, 30 Sep 2024 00:00:00 GMT' },
    status: 200,
    expect: full,
    body: [0, SIZE - 1],
  },
  {
    name: 'If-None-Match wins over If-Modified-Since',
    headers: { 'if-none-match': '"other"', 'if-modified-since': LM },
    status: 200,
    expect: full,
    body: [0, SIZE - 1],
  },
  {
    name: 'If-Modified-Since garbage → 200',
    headers: { 'if-modified-since': 'yesterday' },
    status: 200,
    expect: full,
    body: [0, SIZE - 1],
  },
  {
    name: 'If-Range same ETag → 206',
    headers: { range: 'bytes=10-19', 'if-range': ETAG },
    status: 206,
    expect: partial(10, 19),
    body: [10, 19],
  },
  {
    name: 'If-Range stale ETag → 200',
    headers: { range: 'bytes=10-19', 'if-range': '"old"' },
    status: 200,
    expect: full,
    body: [0, SIZE - 1],
  },
  {
    name: 'If-Range weak ETag never matches → 200',
    headers: { range: 'bytes=10-19', 'if-range': `W/${ETAG}` },
    status: 200,
    expect: full,
    body: [0, SIZE - 1],
  },
  {
    name: 'If-Range same date → 206',
    headers: { range: 'bytes=10-19', 'if-range': LM },
    status: 206,
    expect: partial(10, 19),
    body: [10, 19],
  },
  {
    name: 'If-Range other date → 200',
    headers: { range: 'bytes=10-19', 'if-range': 'Wed, 02 Oct 2024 00:00:00 GMT' },
    status: 200,
    expect: full,
    body: [0, SIZE - 1],
  },
  {
    name: 'If-Match mismatch → 412',
    headers: { 'if-match': '"other"' },
    status: 412,
    expect: { 'content-length': '0' },
    body: null,
  },
  { name: 'If-Match same → 200', headers: { 'if-match': ETAG }, status: 200, expect: full, body: [0, SIZE - 1] },
  {
    name: 'If-Unmodified-Since earlier → 412',
    headers: { 'if-unmodified-since': 'Mon, 30 Sep 2024 00:00:00 GMT' },
    status: 412,
    expect: { 'content-length': '0' },
    body: null,
  },
];

describe('GET|HEAD /assets/*: Range, HEAD, ETag, conditionals (byte-exact)', () => {
  let tree: AssetTree;
  let h: Harness;

  beforeAll(async () => {
    tree = await makeAssetTree();
    h = harness();
    await h.app.register(assetRoutes, { root: tree.root, reporter: h.reporter });
    await h.app.ready();
  });
  afterAll(async () => {
    await h.app.close();
    await tree.cleanup();
  });

  it.each(cases)('$name', async (c) => {
    const res = await h.app.inject({ method: c.method ?? 'GET', url: URL, headers: c.headers ?? {} });
    const body = c.body === null ? Buffer.alloc(0) : tree.kernel.subarray(c.body[0], c.body[1] + 1);
    expect({ status: res.statusCode, headers: project(res.headers) }).toEqual({ status: c.status, headers: c.expect });
    expect(res.rawPayload.equals(body)).toBe(true);
  });

  it('content types by name, empty file, symlink inside the root', async () => {
    const get = async (url: string): Promise<unknown> => {
      const r = await h.app.inject({ method: 'GET', url });
      return [r.statusCode, r.headers['content-type'], r.headers['content-length']];
    };
    expect({
      cmdline: await get('/assets/talos/v1.9.0/cmdline-metal-amd64'),
      ipxe: await get('/assets/talos/v1.9.0/boot.ipxe'),
      json: await get('/assets/talos/v1.9.0/meta.json'),
      initramfs: await get('/assets/talos/v1.9.0/initramfs-amd64.xz'),
      empty: await get('/assets/talos/v1.9.0/empty.bin'),
      linkIn: await get('/assets/link-in'),
      query: await get('/assets/talos/v1.9.0/meta.json?x=1'),
    }).toEqual({
      cmdline: [200, 'text/plain; charset=utf-8', String(tree.cmdline.length)],
      ipxe: [200, 'text/plain; charset=utf-8', '32'],
      json: [200, 'application/json', '19'],
      initramfs: [200, OCTET, '70000'],
      empty: [200, OCTET, '0'],
      linkIn: [200, OCTET, String(SIZE)],
      query: [200, 'application/json', '19'],
    });
  });

  it('publishes boot.asset after each response, with the bytes actually sent', async () => {
    h.events.length = 0;
    await h.app.inject({ method: 'GET', url: URL, headers: { range: 'bytes=0-99' } });
    await h.app.inject({ method: 'HEAD', url: URL });
    await h.app.inject({ method: 'GET', url: URL, headers: { 'if-none-match': ETAG } });
    await h.app.inject({ method: 'GET', url: '/assets/talos/v1.9.0/initramfs-amd64.xz' });
    await h.app.inject({ method: 'GET', url: '/assets/nope' });
    await until(() => h.events.length === 5, '5 events');
    const base = {
      schema: 1,
      machineId: MACHINE,
      transport: 'http',
      cacheHit: null,
      source: 'local',
      replica: 'test-1',
    };
    expect(h.events.map(stable)).toEqual([
      { ...base, path: URL, kind: 'kernel', status: 206, bytes: 100, range: 'bytes 0-99/300001' },
      { ...base, path: URL, kind: 'kernel', status: 200, bytes: 0, range: null },
      { ...base, path: URL, kind: 'kernel', status: 304, bytes: 0, range: null },
      {
        ...base,
        path: '/assets/talos/v1.9.0/initramfs-amd64.xz',
        kind: 'initrd',
        status: 200,
        bytes: 70000,
        range: null,
      },
      { ...base, path: '/assets/nope', kind: 'other', status: 404, bytes: 0, range: null },
    ]);
  });

  it('counts bytes and statuses in metrics', async () => {
    const text = await h.registry.metrics();
    expect(text).toMatch(/metalbus_boot_http_asset_bytes_sent_total\{source="local"\} \d+/);
    expect(text).toMatch(/metalbus_boot_http_asset_requests_total\{source="local",status="206"\} \d+/);
  });
});

describe('boot.asset publishing is skipped without a machine', () => {
  it('resolveMachine → null: no event, request still served', async () => {
    const tree = await makeAssetTree();
    const h = harness(null);
    try {
      await h.app.register(assetRoutes, { root: tree.root, reporter: h.reporter });
      const res = await h.app.inject({ method: 'GET', url: URL });
      expect(res.statusCode).toBe(200);
      let metrics = '';
      for (let i = 0; i < 200 && !metrics.includes('result="skipped"} 1'); i++) {
        metrics = await h.registry.metrics();
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(h.events).toEqual([]);
      expect(metrics).toContain('metalbus_boot_http_asset_events_total{result="skipped"} 1');
    } finally {
      await h.app.close();
      await tree.cleanup();
    }
  });

  it('a missing ASSETS_DIR answers 404, not a crash', async () => {
    const h = harness();
    try {
      await h.app.register(assetRoutes, { root: '/nonexistent/metalbus-assets', reporter: h.reporter });
      const res = await h.app.inject({ method: 'GET', url: URL });
      expect([res.statusCode, res.body]).toEqual([404, 'not found\n']);
    } finally {
      await h.app.close();
    }
  });
});
