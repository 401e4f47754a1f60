import { mkdtempSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@metalbus/testing';
import { closeFd, FileResolver, type OpenedFile } from '../src/assets/resolve-file.js';
import { read } from 'node:fs';

// Big assets (kernels, initramfs) are answered from memory after their first request: the first open streams
// from disk while the file is read once in the background; later opens get the same bytes from memory while the
// file's size and mtime still match, and a changed file is never served stale.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, Buffer>): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'assets-memory-')));
  dirs.push(root);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(root, name), body);
  return root;
}

const blob = (size: number, seed: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) % 251));

async function bytesOf(file: OpenedFile): Promise<Buffer> {
  if (file.kind === 'memory') return file.body;
  const buf = Buffer.alloc(file.size);
  await new Promise<void>((resolve, reject) =>
    read(file.fd, buf, 0, file.size, 0, (err) => (err ? reject(err) : resolve())),
  );
  closeFd(file.fd);
  return buf;
}

async function open(resolver: FileResolver, name: string): Promise<OpenedFile> {
  const result = await resolver.open([name]);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('FileResolver memory for big files', () => {
  it('streams the first request, then answers from memory with the same bytes', async () => {
    const kernel = blob(300_000, 1);
    const root = tree({ vmlinuz: kernel });
    const resolver = new FileResolver({ realRoot: root, hotBytes: 1_000_000, ttlMs: 0 });
    const first = await open(resolver, 'vmlinuz');
    expect(first.kind).toBe('fd');
    expect((await bytesOf(first)).equals(kernel)).toBe(true);
    await waitFor(() => resolver.hotBytesHeld() === kernel.length);
    const second = await open(resolver, 'vmlinuz');
    expect(second.kind).toBe('memory');
    expect((await bytesOf(second)).equals(kernel)).toBe(true);
  });

  it('never serves a changed file from memory', async () => {
    const root = tree({ initrd: blob(200_000, 2) });
    const resolver = new FileResolver({ realRoot: root, hotBytes: 1_000_000, ttlMs: 0 });
    await bytesOf(await open(resolver, 'initrd'));
    await waitFor(() => resolver.hotBytesHeld() > 0);
    const replaced = blob(200_000, 3);
    writeFileSync(join(root, 'initrd'), replaced);
    utimesSync(join(root, 'initrd'), new Date(), new Date(Date.now() + 5_000));
    const after = await open(resolver, 'initrd');
    expect(after.kind).toBe('fd');
    expect((await bytesOf(after)).equals(readFileSync(join(root, 'initrd')))).toBe(true);
    await waitFor(() => resolver.hotBytesHeld() === replaced.length);
    expect((await bytesOf(await open(resolver, 'initrd'))).equals(replaced)).toBe(true);
  });

  it('keeps within its budget, dropping the least recently used file, and is off at 0', async () => {
    const root = tree({ a: blob(400_000, 4), b: blob(400_000, 5) });
    const resolver = new FileResolver({ realRoot: root, hotBytes: 600_000, ttlMs: 0 });
    await bytesOf(await open(resolver, 'a'));
    await waitFor(() => resolver.hotBytesHeld() === 400_000);
    await bytesOf(await open(resolver, 'b'));
    await waitFor(async () => (await open(resolver, 'b').then(async (f) => (await bytesOf(f), f.kind))) === 'memory');
    expect(resolver.hotBytesHeld()).toBe(400_000);
    expect(await open(resolver, 'a').then(async (f) => (await bytesOf(f), f.kind))).toBe('fd');

    const off = new FileResolver({ realRoot: root, hotBytes: 0, ttlMs: 0 });
    await bytesOf(await open(off, 'a'));
    await new Promise((r) => setTimeout(r, 50));
    expect((await open(off, 'a')).kind).toBe('fd');
    expect(off.hotBytesHeld()).toBe(0);
  });
});
