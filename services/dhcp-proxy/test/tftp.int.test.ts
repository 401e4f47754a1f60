// Real TFTP clients against the server over loopback: curl, busybox tftp and tftp-hpa fetch Debian's iPXE
// binaries (package `ipxe`, /usr/lib/ipxe) and must get them byte for byte. Needs curl, busybox and tftp-hpa;
// a missing tool skips its tests loudly.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest } from '../src/tftp/codec.js';
import { loadBootFiles } from '../src/tftp/files.js';
import type { TftpServer, TftpServerOptions } from '../src/tftp/server.js';
import { createTftpServer } from '../src/tftp/server.js';

const run = promisify(execFile);
const IPXE = '/usr/lib/ipxe';
const BINARIES = ['undionly.kpxe', 'ipxe.efi', 'snponly.efi'];
const TOOLS = { curl: '/usr/bin/curl', busybox: '/usr/bin/busybox', tftp: '/usr/bin/tftp' };
const missing = [
  ...BINARIES.filter((b) => !existsSync(join(IPXE, b))).map((b) => `${IPXE}/${b} (apt-get install ipxe)`),
  ...Object.entries(TOOLS)
    .filter(([, path]) => !existsSync(path))
    .map(([tool]) => `${tool} (apt-get install curl busybox-static tftp-hpa)`),
];
if (missing.length > 0) console.warn(`SKIPPING tftp.int.test.ts: missing ${missing.join(', ')}`);
const suite = missing.length > 0 ? describe.skip : describe;

// 512 × 1468 / 4: a multiple of both block sizes, so each client also sees the final empty DATA block.
const EXACT_SIZE = 187_904;

type Outcome = { code: number; stderr: string };

async function outcome(file: string, args: readonly string[]): Promise<Outcome> {
  try {
    const { stderr } = await run(file, args, { timeout: 30_000 });
    return { code: 0, stderr: stderr.trim() };
  } catch (err) {
    const e = err as { code?: number; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stderr: (e.stderr ?? '').trim() };
  }
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

suite('TFTP server with real clients', () => {
  let dir = '';
  let out = '';
  let server: TftpServer;
  let port = 0;
  const expected = new Map<string, string>();

  const start = async (over: Partial<TftpServerOptions> = {}): Promise<{ server: TftpServer; port: number }> => {
    const files = await loadBootFiles({ dir: join(dir, 'root'), maxFileBytes: 64 << 20, maxTotalBytes: 256 << 20 });
    const s = createTftpServer({
      address: '127.0.0.1',
      port: 0,
      files,
      maxTransfers: 500,
      timeoutMs: 1000,
      retries: 5,
      maxBlksize: 65464,
      maxWindowsize: 64,
      workers: 2,
      registry: new Registry(),
      logger: pino({ level: 'silent' }),
      ...over,
    });
    return { server: s, port: (await s.start()).port };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-tftp-int-'));
    out = join(dir, 'out');
    await mkdir(join(dir, 'root', 'arm64'), { recursive: true });
    await mkdir(out);
    // The served tree: Debian's binaries by symlink (as IPXE_DIR would hold them), an arm64/ subfolder, a file of
    // whole blocks, a text file for netascii, and a file past the 16-bit block rollover at 512 bytes.
    for (const b of BINARIES) await symlink(join(IPXE, b), join(dir, 'root', b));
    await symlink(join(IPXE, 'snponly.efi'), join(dir, 'root', 'arm64', 'ipxe.efi'));
    await writeFile(join(dir, 'root', 'exact.bin'), Buffer.alloc(EXACT_SIZE, 0x5a));
    await writeFile(join(dir, 'root', 'text.txt'), 'one\ntwo\r\nthree\rfour\n');
    const big = Buffer.alloc(512 * 65_540 + 77);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);
    await writeFile(join(dir, 'root', 'big.bin'), big);
    for (const name of [...BINARIES, 'arm64/ipxe.efi', 'exact.bin', 'big.bin']) {
      expected.set(name, sha(await readFile(join(dir, 'root', name))));
    }
    ({ server, port } = await start());
  });

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const clients: Record<string, (name: string, to: string) => [string, string[]]> = {
    curl: (name, to) => [TOOLS.curl, ['-sS', '-o', to, `tftp://127.0.0.1:${port}/${name}`]],
    'curl --tftp-blksize 1468': (name, to) => [
      TOOLS.curl,
      ['-sS', '--tftp-blksize', '1468', '-o', to, `tftp://127.0.0.1:${port}/${name}`],
    ],
    'busybox tftp': (name, to) => [TOOLS.busybox, ['tftp', '-g', '-r', name, '-l', to, '127.0.0.1', String(port)]],
    'busybox tftp -b 1468': (name, to) => [
      TOOLS.busybox,
      ['tftp', '-g', '-b', '1468', '-r', name, '-l', to, '127.0.0.1', String(port)],
    ],
    'tftp-hpa': (name, to) => [TOOLS.tftp, ['-m', 'binary', '127.0.0.1', String(port), '-c', 'get', name, to]],
  };

  it('every client fetches every binary byte-identical', async () => {
    const names = [...BINARIES, 'arm64/ipxe.efi', 'exact.bin'];
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    let i = 0;
    for (const [client, command] of Object.entries(clients)) {
      await Promise.all(
        names.map(async (name) => {
          const to = join(out, `f${i++}`);
          const [file, args] = command(name, to);
          const result = await outcome(file, args);
          got[`${client} ${name}`] =
            result.code === 0 ? sha(await readFile(to)) : `exit ${result.code}: ${result.stderr}`;
          want[`${client} ${name}`] = expected.get(name) ?? '';
        }),
      );
    }
    expect(got).toEqual(want);
  });

  it('busybox fetches a 33.5 MB file at 512-byte blocks across the 16-bit block rollover', async () => {
    const to = join(out, 'big.bin');
    const result = await outcome(TOOLS.busybox, ['tftp', '-g', '-r', 'big.bin', '-l', to, '127.0.0.1', String(port)]);
    expect([result, sha(await readFile(to))]).toEqual([{ code: 0, stderr: '' }, expected.get('big.bin')]);
  });

  it('tftp-hpa in netascii mode gets the text back with its own line ends', async () => {
    const to = join(out, 'text.txt');
    const result = await outcome(TOOLS.tftp, ['127.0.0.1', String(port), '-c', 'get', 'text.txt', to]);
    expect([result, await readFile(to, 'latin1')]).toEqual([{ code: 0, stderr: '' }, 'one\ntwo\r\nthree\rfour\n']);
  });

  it('refuses writes, unknown files and path traversal with the right TFTP errors', async () => {
    await writeFile(join(out, 'upload.bin'), 'data');
    const url = (path: string): string => `tftp://127.0.0.1:${port}/${path}`;
    const results = {
      curlPut: (await outcome(TOOLS.curl, ['-s', '-T', join(out, 'upload.bin'), url('upload.bin')])).code,
      curlMissing: (await outcome(TOOLS.curl, ['-s', '-o', join(out, 'x'), url('missing.efi')])).code,
      curlTraversal: (await outcome(TOOLS.curl, ['-s', '--path-as-is', '-o', join(out, 'x'), url('../../etc/passwd')]))
        .code,
      busyboxPut: await outcome(TOOLS.busybox, [
        'tftp',
        '-p',
        '-l',
        join(out, 'upload.bin'),
        '-r',
        'u.bin',
        '127.0.0.1',
        String(port),
      ]),
      busyboxMissing: await outcome(TOOLS.busybox, [
        'tftp',
        '-g',
        '-r',
        'missing.efi',
        '-l',
        join(out, 'x'),
        '127.0.0.1',
        String(port),
      ]),
      busyboxTraversal: await outcome(TOOLS.busybox, [
        'tftp',
        '-g',
        '-r',
        '../../etc/passwd',
        '-l',
        join(out, 'x'),
        '127.0.0.1',
        String(port),
      ]),
      // tftp-hpa prints the server's message on stdout and exits 0 whatever happens.
      hpaPut: (
        await run(TOOLS.tftp, ['127.0.0.1', String(port), '-c', 'put', join(out, 'upload.bin'), 'u.bin'])
      ).stdout.trim(),
      hpaMissing: (
        await run(TOOLS.tftp, ['127.0.0.1', String(port), '-c', 'get', 'missing.efi', join(out, 'x')])
      ).stdout.trim(),
      hpaTraversal: (
        await run(TOOLS.tftp, ['127.0.0.1', String(port), '-c', 'get', '/../etc/passwd', join(out, 'x')])
      ).stdout.trim(),
    };
    expect(results).toEqual({
      curlPut: 69, // CURLE_TFTP_PERM: TFTP error 2
      curlMissing: 68, // CURLE_TFTP_NOTFOUND: TFTP error 1
      curlTraversal: 69,
      busyboxPut: { code: 1, stderr: 'tftp: server error: (2) read-only server: write requests are refused' },
      busyboxMissing: { code: 1, stderr: 'tftp: server error: (1) file not found' },
      busyboxTraversal: { code: 1, stderr: 'tftp: server error: (2) access violation: path not allowed' },
      hpaPut: 'Error code 2: read-only server: write requests are refused',
      hpaMissing: 'Error code 1: file not found',
      hpaTraversal: 'Error code 2: access violation: path not allowed',
    });
  });

  it('serves 50 parallel curl fetches byte-identical', async () => {
    const hashes = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const to = join(out, `par${i}`);
        const result = await outcome(TOOLS.curl, ['-sS', '-o', to, `tftp://127.0.0.1:${port}/undionly.kpxe`]);
        return result.code === 0 ? sha(await readFile(to)) : `exit ${result.code}`;
      }),
    );
    expect(hashes).toEqual(Array(50).fill(expected.get('undionly.kpxe')));
    expect(server.activeTransfers()).toBe(0);
  });

  it('beyond the transfer limit, clients get ERROR 0 with a clear message', async () => {
    const limited = await start({ maxTransfers: 1, timeoutMs: 10_000 });
    const holder = createSocket('udp4');
    try {
      // One transfer that never acknowledges anything holds the only slot.
      const firstData = new Promise((resolve) => holder.once('message', resolve));
      holder.send(encodeRequest('rrq', 'ipxe.efi', 'octet'), limited.port, '127.0.0.1');
      await firstData;
      const bb = await outcome(TOOLS.busybox, [
        'tftp',
        '-g',
        '-r',
        'ipxe.efi',
        '-l',
        join(out, 'x'),
        '127.0.0.1',
        String(limited.port),
      ]);
      const curl = await outcome(TOOLS.curl, ['-s', '-o', join(out, 'x'), `tftp://127.0.0.1:${limited.port}/ipxe.efi`]);
      expect({ bb, curl: curl.code }).toEqual({
        bb: { code: 1, stderr: 'tftp: server error: (0) server busy: 1 transfers in progress, retry later' },
        curl: 71, // CURLE_TFTP_ILLEGAL: curl's answer to TFTP error 0
      });
    } finally {
      holder.close();
      await limited.server.stop();
    }
  });
});
