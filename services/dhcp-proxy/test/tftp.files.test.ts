import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TftpError } from '../src/tftp/errors.js';
import { createBootFiles, loadBootFiles, normaliseRequestPath } from '../src/tftp/files.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/tftp/', import.meta.url));
const LIMITS = { maxFileBytes: 1024, maxTotalBytes: 1 << 20 };

describe('normaliseRequestPath', () => {
  it('accepts plain and subfolder names, drops one leading slash, refuses everything that could alias or climb', () => {
    const names = [
      'undionly.kpxe',
      'arm64/ipxe.efi',
      '/ipxe.efi',
      '/arm64/snp.efi',
      '',
      '/',
      '//etc/passwd',
      '../etc/passwd',
      'arm64/../../etc/passwd',
      'arm64/..',
      './ipxe.efi',
      'arm64//ipxe.efi',
      'arm64/',
      '..\\windows',
      'C:\\boot\\ipxe.efi',
      'a\0b',
      'ipxe.efi\n',
      'tab\tname',
      'del\x7f',
    ];
    expect(Object.fromEntries(names.map((n) => [n, normaliseRequestPath(n)]))).toEqual({
      'undionly.kpxe': { ok: true, value: 'undionly.kpxe' },
      'arm64/ipxe.efi': { ok: true, value: 'arm64/ipxe.efi' },
      '/ipxe.efi': { ok: true, value: 'ipxe.efi' },
      '/arm64/snp.efi': { ok: true, value: 'arm64/snp.efi' },
      '': { ok: false, error: 'empty' },
      '/': { ok: false, error: 'empty' },
      '//etc/passwd': { ok: false, error: 'absolute' },
      '../etc/passwd': { ok: false, error: 'traversal' },
      'arm64/../../etc/passwd': { ok: false, error: 'traversal' },
      'arm64/..': { ok: false, error: 'traversal' },
      './ipxe.efi': { ok: false, error: 'traversal' },
      'arm64//ipxe.efi': { ok: false, error: 'traversal' },
      'arm64/': { ok: false, error: 'traversal' },
      '..\\windows': { ok: false, error: 'backslash' },
      'C:\\boot\\ipxe.efi': { ok: false, error: 'backslash' },
      'a\0b': { ok: false, error: 'nul' },
      'ipxe.efi\n': { ok: false, error: 'control-char' },
      'tab\tname': { ok: false, error: 'control-char' },
      'del\x7f': { ok: false, error: 'control-char' },
    });
  });
});

describe('createBootFiles', () => {
  it('looks names up exactly (case-sensitive, no normalisation of its own)', () => {
    const files = createBootFiles([
      ['ipxe.efi', Buffer.from('x')],
      ['arm64/ipxe.efi', Buffer.from('y')],
    ]);
    expect(files.names()).toEqual(['arm64/ipxe.efi', 'ipxe.efi']);
    expect([files.get('ipxe.efi')?.data.toString(), files.get('IPXE.EFI'), files.get('/ipxe.efi')]).toEqual([
      'x',
      undefined,
      undefined,
    ]);
  });
});

describe('loadBootFiles', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mb-tftp-files-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the fixture directory: top level and one subfolder, skipping deeper folders and odd names', async () => {
    const files = await loadBootFiles({ dir: FIXTURES, ...LIMITS });
    expect(files.names()).toEqual(['arm64/ipxe.efi', 'arm64/snp.efi', 'ipxe.efi', 'snponly.efi', 'undionly.kpxe']);
    expect(files.get('arm64/ipxe.efi')?.data.toString()).toBe('fake arm64 ipxe.efi for tests\n');
    // Held in shared memory so that transfer worker threads read the same bytes.
    expect(files.get('ipxe.efi')?.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(files.skipped).toEqual([
      { name: 'deep/nested', reason: 'too-deep' },
      { name: 'with space.efi', reason: 'bad-name' },
    ]);
    expect(files.totalBytes).toBe(files.names().reduce((n, name) => n + (files.get(name)?.data.length ?? 0), 0));
  });

  it('follows symlinks to regular files (Debian ships ipxe.efi as one), skips FIFOs, oversize files and the total cap', async () => {
    await writeFile(join(dir, 'real.efi'), 'real');
    await symlink(join(dir, 'real.efi'), join(dir, 'link.efi'));
    await symlink(join(dir, 'missing'), join(dir, 'dangling.efi'));
    await writeFile(join(dir, 'big.bin'), Buffer.alloc(LIMITS.maxFileBytes + 1));
    await writeFile(join(dir, 'zz-last.bin'), Buffer.alloc(600));
    await writeFile(join(dir, 'zz-over.bin'), Buffer.alloc(600));
    execFileSync('mkfifo', [join(dir, 'pipe.efi')]);
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'ok.efi'), 'sub');

    const files = await loadBootFiles({ dir, maxFileBytes: LIMITS.maxFileBytes, maxTotalBytes: 1000 });
    expect(files.names()).toEqual(['link.efi', 'real.efi', 'sub/ok.efi', 'zz-last.bin']);
    expect(files.get('link.efi')?.data.toString()).toBe('real');
    expect(files.skipped).toEqual([
      { name: 'big.bin', reason: 'too-large' },
      { name: 'dangling.efi', reason: 'unreadable' },
      { name: 'pipe.efi', reason: 'not-regular' },
      { name: 'zz-over.bin', reason: 'total-cap' },
    ]);
    expect(files.totalBytes).toBe(4 + 4 + 3 + 600);
  });

  it('an unreadable IPXE_DIR is a TftpError with a stable code', async () => {
    const error = await loadBootFiles({ dir: join(dir, 'does-not-exist'), ...LIMITS }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TftpError);
    expect([(error as TftpError).code, (error as TftpError).message]).toEqual([
      'TFTP_IPXE_DIR_UNREADABLE',
      `IPXE_DIR ${join(dir, 'does-not-exist')} cannot be listed`,
    ]);
  });
});
