import { readFile, readdir, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../src/factory/config.js';
import { announcedSha256 } from '../src/factory/digest.js';
import { DiskStore } from '../src/factory/disk-store.js';
import { normalizeVersion, parseImageName, parsePxeTarget } from '../src/factory/names.js';
import { rewritePxeScript } from '../src/factory/pxe-rewrite.js';
import { renderSchematic } from '../src/factory/schematic.js';
import { SingleFlightMemo } from '../src/factory/single-flight.js';

const FIX = new URL('./fixtures/assets/pxe/', import.meta.url);
const ID = '376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba';

describe('rewritePxeScript (golden)', () => {
  it.each(['standard-amd64', 'secureboot-arm64'])('%s', async (name) => {
    const input = await readFile(new URL(`${name}.factory.ipxe`, FIX), 'utf8');
    const expected = await readFile(new URL(`${name}.rewritten.ipxe`, FIX), 'utf8');
    const out = rewritePxeScript(input, 'http://10.5.0.2:8080');
    expect(out.script).toBe(expected);
    expect(out.foreign).toEqual([]);
    expect(out.images).toEqual(
      name === 'standard-amd64'
        ? [`image/${ID}/v1.9.0/kernel-amd64`, `image/${ID}/v1.9.0/initramfs-amd64.xz`]
        : [`image/${ID}/v1.9.0/metal-arm64-secureboot.uki.efi`],
    );
  });

  it('normalises a version without v, keeps unknown URLs and reports them, keeps CRLF', () => {
    const script =
      '#!ipxe\r\n' +
      `kernel https://f.example/some/prefix/image/${ID}/1.9.0/kernel-amd64 a=b\r\n` +
      'initrd https://elsewhere.example/initrd.img\r\n' +
      `initrd https://f.example/image/${ID}/v1.9.0/initramfs-evil.xz\r\n` +
      `imgfetch https://f.example/image/not-an-id/v1.9.0/kernel-amd64\r\n` +
      'boot\r\n';
    expect(rewritePxeScript(script, 'http://h:1')).toEqual({
      script:
        '#!ipxe\r\n' +
        `kernel http://h:1/factory/image/${ID}/v1.9.0/kernel-amd64 a=b\r\n` +
        'initrd https://elsewhere.example/initrd.img\r\n' +
        `initrd https://f.example/image/${ID}/v1.9.0/initramfs-evil.xz\r\n` +
        `imgfetch https://f.example/image/not-an-id/v1.9.0/kernel-amd64\r\n` +
        'boot\r\n',
      images: [`image/${ID}/v1.9.0/kernel-amd64`],
      foreign: [
        'https://elsewhere.example/initrd.img',
        `https://f.example/image/${ID}/v1.9.0/initramfs-evil.xz`,
        'https://f.example/image/not-an-id/v1.9.0/kernel-amd64',
      ],
    });
  });
});

describe('names', () => {
  it('validates image names, PXE targets and versions strictly', () => {
    const images = [
      'kernel-amd64',
      'kernel-arm64',
      'initramfs-amd64.xz',
      'metal-arm64-secureboot.uki.efi',
      'kernel-x86_64',
      'initramfs-amd64',
      'kernel-amd64/../x',
      'metal-amd64.raw.xz',
      'KERNEL-amd64',
    ].map((n) => parseImageName(n));
    expect(images).toEqual([
      { file: 'kernel-amd64', arch: 'amd64', kind: 'kernel' },
      { file: 'kernel-arm64', arch: 'arm64', kind: 'kernel' },
      { file: 'initramfs-amd64.xz', arch: 'amd64', kind: 'initrd' },
      { file: 'metal-arm64-secureboot.uki.efi', arch: 'arm64', kind: 'uki' },
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(
      ['metal-amd64', 'metal-arm64-secureboot', 'aws-amd64', 'metal-amd64-secureboot.x'].map(parsePxeTarget),
    ).toEqual([
      { target: 'metal-amd64', arch: 'amd64', secureBoot: false },
      { target: 'metal-arm64-secureboot', arch: 'arm64', secureBoot: true },
      null,
      null,
    ]);
    expect(
      ['1.9.0', 'v1.13.7', 'v1.10.0-alpha.1', 'latest', 'v1.9', '../1.9.0', 'v1.9.0/x'].map(normalizeVersion),
    ).toEqual(['v1.9.0', 'v1.13.7', 'v1.10.0-alpha.1', null, null, null, null]);
  });
});

describe('schematic document', () => {
  it('renders the YAML the factory expects (golden)', () => {
    expect(
      renderSchematic({
        extraKernelArgs: ['talos.config=http://10.5.0.1:50042/config?u=${uuid}', 'console=ttyS0'],
        officialExtensions: ['siderolabs/intel-ucode', 'siderolabs/metal-agent'],
      }),
    ).toBe(
      'customization:\n' +
        '  extraKernelArgs:\n' +
        '    - talos.config=http://10.5.0.1:50042/config?u=${uuid}\n' +
        '    - console=ttyS0\n' +
        '  systemExtensions:\n' +
        '    officialExtensions:\n' +
        '      - siderolabs/intel-ucode\n' +
        '      - siderolabs/metal-agent\n',
    );
  });
});

describe('announcedSha256', () => {
  const hex = 'a'.repeat(64);
  const b64 = Buffer.from(hex, 'hex').toString('base64');
  it('reads RFC 9530, RFC 3230 and S3 forms', () => {
    expect([
      announcedSha256({ 'repr-digest': `sha-512=:AAAA:, sha-256=:${b64}:` }),
      announcedSha256({ 'content-digest': `sha-256=:${b64}:` }),
      announcedSha256({ digest: `MD5=xx, SHA-256=${b64}` }),
      announcedSha256({ 'x-amz-checksum-sha256': b64 }),
      announcedSha256({ 'x-amz-checksum-sha256': `${b64}-3` }),
      announcedSha256({ digest: 'SHA-256=short' }),
      announcedSha256({}),
    ]).toEqual([hex, hex, hex, hex, null, null, null]);
  });
});

describe('parseByteSize', () => {
  it('accepts bytes and binary units', () => {
    expect(['1024', '10GiB', '512M', '1.5k', '2 TB', 'x', '', '5Q'].map(parseByteSize)).toEqual([
      1024,
      10 * 1024 ** 3,
      512 * 1024 ** 2,
      1536,
      2 * 1024 ** 4,
      null,
      null,
      null,
    ]);
  });
});

describe('SingleFlightMemo', () => {
  it('shares one run per key, remembers successes (LRU bound), forgets failures', async () => {
    const memo = new SingleFlightMemo<number>(2);
    let runs = 0;
    const run =
      (v: number, fail = false) =>
      () => {
        runs++;
        return fail ? Promise.reject(new Error('x')) : Promise.resolve(v);
      };
    const a = [memo.get('a', run(1)), memo.get('a', run(99)), memo.get('a', run(99))];
    expect(a.map((x) => x.source)).toEqual(['started', 'joined', 'joined']);
    expect(await Promise.all(a.map((x) => x.value))).toEqual([1, 1, 1]);
    expect(memo.get('a', run(99)).source).toBe('memo');
    await expect(memo.get('b', run(0, true)).value).rejects.toThrow('x');
    expect(await memo.get('b', run(2)).value).toBe(2);
    await memo.get('c', run(3)).value; // third entry over a bound of 2: 'a' (least recently used) goes
    expect([memo.size, memo.get('a', run(4)).source]).toEqual([2, 'started']);
    expect(runs).toBe(5);
  });
});

describe('DiskStore', () => {
  let clock = 0;
  async function put(store: DiskStore, dir: string, name: string, size: number): Promise<void> {
    const tmp = store.tempPath(name);
    await writeFile(tmp, Buffer.alloc(size, 1));
    await store.commit(name.padEnd(64, '0'), tmp, {
      key: name,
      size,
      sha256: 'b'.repeat(64),
      lastModifiedSec: null,
      storedAt: new Date(++clock * 1000).toISOString(),
    });
    void dir;
  }
  const h = (name: string): string => name.padEnd(64, '0');

  it('evicts least recently used, never pinned entries, and reloads its index', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mb-store-'));
    try {
      const store = new DiskStore({ dir, maxBytes: 3000 });
      await store.init();
      await put(store, dir, 'a', 1000);
      await put(store, dir, 'b', 1000);
      await put(store, dir, 'c', 1000);
      store.get(h('a')); // a is now most recently used: b is the oldest
      store.pin(h('b')); // ...but b is being served
      await put(store, dir, 'd', 1000); // over the cap: c goes (b pinned)
      expect([store.bytes, store.get(h('b')) !== undefined, store.get(h('c')) === undefined]).toEqual([
        3000,
        true,
        true,
      ]);
      store.pin(h('a'));
      store.pin(h('d'));
      store.pin(h('e')); // as the cache does: readers of a download pin its hash before the commit
      await put(store, dir, 'e', 1000); // everything pinned: above the cap until a release
      expect(store.bytes).toBe(4000);
      store.unpin(h('b')); // the release evicts b, the least recently used unpinned entry
      expect([store.bytes, store.files, store.get(h('b'))]).toEqual([3000, 3, undefined]);
      store.unpin(h('a'));
      store.unpin(h('d'));
      store.unpin(h('e'));
      await new Promise((r) => setTimeout(r, 50)); // unlinks are asynchronous
      const onDisk = (await readdir(join(dir, 'data'), { recursive: true })).filter((p) => p.includes('/')).sort();
      expect(onDisk).toEqual(
        ['a', 'd', 'e'].flatMap((n) => [`${h(n).slice(0, 2)}/${h(n)}`, `${h(n).slice(0, 2)}/${h(n)}.json`]).sort(),
      );
      // Leftovers of a crash: a temp file and a body without metadata are removed at start-up.
      await writeFile(join(dir, 'tmp', 'partial'), 'x');
      await mkdir(join(dir, 'data', 'zz'), { recursive: true });
      await writeFile(join(dir, 'data', 'zz', 'z'.repeat(64)), 'x');
      const again = new DiskStore({ dir, maxBytes: 2000 });
      await again.init(); // a smaller cap: the oldest stored entry (a) goes at start-up
      expect([
        again.bytes,
        again.get(h('a')),
        again.get(h('d'))?.key,
        again.get(h('e'))?.key,
        await readdir(join(dir, 'tmp')),
        await readdir(join(dir, 'data', 'zz')),
      ]).toEqual([2000, undefined, 'd', 'e', [], []]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
