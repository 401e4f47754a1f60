import { cp, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS } from '@metalbus/events';
import { readDataDir, syncDataDir, type DataDirWriter, type SyncBucket, type SyncValue } from '@metalbus/matchbox';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const MTIME = new Date('2026-08-01T12:00:00.000Z');
let work: string;

/** A copy of a fixture directory with every file's mtime pinned, so template records compare whole. */
async function pinned(name: string): Promise<string> {
  const dir = join(work, name);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  for (const sub of ['generic']) {
    const files = await readdir(join(dir, sub)).catch(() => [] as string[]);
    for (const file of files) await utimes(join(dir, sub, file), MTIME, MTIME);
  }
  return dir;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mb-datadir-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('readDataDir', () => {
  it('loads a valid Matchbox data directory', async () => {
    const result = await readDataDir(await pinned('good'));
    expect(result.errors).toEqual([]);
    expect(result.skipped).toEqual(['README.md']);
    expect(result.profiles.map((p) => p.id)).toEqual(['control', 'fallback', 'worker']);
    expect(result.profiles[1]).toEqual({
      id: 'fallback',
      boot: { kernel: '/assets/memtest.efi', initrd: [], args: [] },
    });
    expect(result.groups.map((g) => [g.id, g.selector])).toEqual([
      ['default', {}],
      ['node1', { rack: 'r1', mac: '52:54:00:a1:9c:ae' }],
      ['workers', { rack: 'r1' }],
      ['zone-a', { rack: 'r9' }],
      ['zone-b', { zone: 'b' }],
    ]);
    const body = await readFile(join(FIXTURES, 'good', 'generic', 'worker.env'), 'utf8');
    expect(result.templates).toEqual([{ name: 'worker.env', body, updatedAt: '2026-08-01T12:00:00.000Z' }]);
    expect(result.invalidKeys).toEqual({ profiles: [], groups: [], templates: [] });
  });

  it('collects every error with file and field in one run, and loads only the good files', async () => {
    const result = await readDataDir(await pinned('bad'));
    const errors = result.errors.map((e) =>
      e.field === '(json)' ? { ...e, message: e.message.replace(/ at position.*|\(.*/, '').trim() } : e,
    );
    expect(errors).toEqual([
      { file: 'profiles/broken.json', field: '(json)', message: "Expected ',' or '}' after property value in JSON" },
      {
        file: 'profiles/mismatch.json',
        field: 'id',
        message: 'must equal the file name "mismatch" (Matchbox finds a profile by its file name)',
      },
      { file: 'profiles/types.json', field: 'boot.kernel', message: 'Invalid input: expected string, received number' },
      { file: 'profiles/types.json', field: 'boot.initrd', message: 'Invalid input: expected array, received string' },
      { file: 'groups/badmac.json', field: 'selector.mac', message: 'not a MAC address: "zz:zz"' },
      { file: 'groups/dup2.json', field: 'id', message: 'duplicate group id "dup" (also in groups/dup1.json)' },
      {
        file: 'groups/noprofile.json',
        field: 'profile',
        message: 'Invalid input: expected string, received undefined',
      },
      {
        file: 'groups/noprofile.json',
        field: 'selector.a',
        message: 'Invalid input: expected string, received number',
      },
      { file: 'generic/bad.tmpl', field: 'body', message: 'line 1: pipelines (|) not supported' },
      { file: 'generic/unterminated.tmpl', field: 'body', message: 'line 2: unexpected EOF: {{if}} without {{end}}' },
      {
        file: 'profiles/needs-template.json',
        field: 'generic_id',
        message: 'no template "missing.tmpl" is loaded (generic/missing.tmpl)',
      },
      { file: 'groups/dangling.json', field: 'profile', message: 'profile "nope" does not exist (profiles/nope.json)' },
      {
        file: 'groups/to-broken.json',
        field: 'profile',
        message: 'profile "broken" has errors (profiles/broken.json)',
      },
    ]);
    expect(result.profiles.map((p) => p.id)).toEqual(['ok']);
    expect(result.groups.map((g) => g.id)).toEqual(['fine']);
    expect(result.templates.map((t) => t.name)).toEqual(['good.tmpl']);
    expect(result.skipped).toEqual(['groups/notes.txt']);
    expect(result.invalidKeys).toEqual({
      profiles: ['broken', 'mismatch', 'needs-template', 'types'],
      groups: ['badmac', 'dangling', 'dup', 'noprofile', 'to-broken'],
      templates: ['bad.tmpl', 'unterminated.tmpl'],
    });
  });

  it('reports a missing directory, and treats missing sub-directories as empty', async () => {
    const missing = await readDataDir(join(work, 'does-not-exist'));
    expect(missing.errors.map((e) => [e.file, e.field, e.message.split(':')[0]])).toEqual([['.', '(file)', 'ENOENT']]);
    const empty = join(work, 'empty');
    await mkdir(empty);
    expect(await readDataDir(empty)).toEqual({
      profiles: [],
      groups: [],
      templates: [],
      errors: [],
      skipped: [],
      invalidKeys: { profiles: [], groups: [], templates: [] },
    });
  });

  it('refuses oversized files and bad template names', async () => {
    const dir = join(work, 'sizes');
    await mkdir(join(dir, 'generic'), { recursive: true });
    await writeFile(join(dir, 'generic', 'big'), 'x'.repeat(1024 * 1024 + 1));
    await writeFile(join(dir, 'generic', 'bad name'), 'x');
    const result = await readDataDir(dir);
    expect(result.errors).toEqual([
      { file: 'generic/big', field: '(file)', message: 'larger than 1048576 bytes' },
      { file: 'generic/bad name', field: 'name', message: 'file name must be 1-128 of A-Z a-z 0-9 . _ -' },
    ]);
    expect(result.invalidKeys.templates).toEqual(['bad name', 'big']);
  });
});

/** In-memory writer standing in for the NATS KV buckets. */
function memoryWriter(initial: Partial<Record<SyncBucket, Record<string, SyncValue>>>) {
  const buckets = new Map<SyncBucket, Map<string, SyncValue>>();
  for (const bucket of [BUCKETS.profiles, BUCKETS.groups, BUCKETS.templates] as const) {
    buckets.set(bucket, new Map(Object.entries(initial[bucket] ?? {})));
  }
  const log: string[] = [];
  const writer: DataDirWriter = {
    put: async (bucket, key, value) => {
      log.push(`put ${bucket}/${key}`);
      buckets.get(bucket)?.set(key, value);
    },
    delete: (bucket, key) => {
      log.push(`delete ${bucket}/${key}`);
      buckets.get(bucket)?.delete(key);
    },
    // An async iterable, like the NATS KV client's keys().
    keys: async (bucket) =>
      (async function* () {
        yield* [...(buckets.get(bucket)?.keys() ?? [])];
      })(),
  };
  return { writer, buckets, log };
}

describe('syncDataDir', () => {
  it('upserts valid records, deletes vanished keys, keeps keys whose files have errors', async () => {
    const result = await readDataDir(await pinned('bad'));
    const stale = { id: 'stale', boot: { kernel: '/k', initrd: [], args: [] } };
    const { writer, buckets, log } = memoryWriter({
      profiles: { stale, broken: { id: 'broken', boot: { kernel: '/old', initrd: [], args: [] } } },
      groups: {
        dangling: { id: 'dangling', profile: 'old', selector: {}, metadata: {} },
        gone: { id: 'gone', profile: 'ok', selector: {}, metadata: {} },
      },
    });
    const report = await syncDataDir(result, writer);
    expect(log).toEqual([
      'put profiles/ok',
      'put groups/fine',
      'put templates/good.tmpl',
      'delete groups/gone',
      'delete profiles/stale',
    ]);
    expect(report).toEqual({
      put: [
        { bucket: 'profiles', key: 'ok' },
        { bucket: 'groups', key: 'fine' },
        { bucket: 'templates', key: 'good.tmpl' },
      ],
      deleted: [
        { bucket: 'groups', key: 'gone' },
        { bucket: 'profiles', key: 'stale' },
      ],
      kept: [
        { bucket: 'groups', key: 'dangling' },
        { bucket: 'profiles', key: 'broken' },
      ],
    });
    expect([...(buckets.get('profiles')?.keys() ?? [])].sort()).toEqual(['broken', 'ok']);
  });

  it('prune: false only upserts', async () => {
    const result = await readDataDir(await pinned('good'));
    const { writer, log } = memoryWriter({
      groups: { gone: { id: 'gone', profile: 'x', selector: {}, metadata: {} } },
    });
    const report = await syncDataDir(result, writer, { prune: false });
    expect(report.deleted).toEqual([]);
    expect(log.filter((l) => l.startsWith('delete'))).toEqual([]);
    expect(log.length).toBe(3 + 5 + 1);
  });
});
