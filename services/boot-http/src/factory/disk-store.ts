import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** What we keep next to each cached body (`<hash>.json`), enough to serve it after a restart. */
const metaSchema = z.object({
  key: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  lastModifiedSec: z.number().int().nullable(),
  storedAt: z.string(),
});
export type StoredMeta = z.infer<typeof metaSchema>;

export interface StoreEntry extends StoredMeta {
  readonly hash: string;
  readonly path: string;
}

export interface DiskStoreOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly onChange?: (bytes: number, files: number) => void;
  readonly onEvict?: (entry: StoreEntry) => void;
}

/**
 * The cache directory: `data/<hh>/<hash>` bodies (hash = sha256 of the cache key) plus `<hash>.json` metadata,
 * and `tmp/` for downloads in progress. In memory: an LRU index (Map order, oldest first) and pin counts.
 * Eviction keeps `bytes + reserved` ≤ maxBytes by dropping the least recently used entries that nobody is
 * serving (pinned); bytes reserved for downloads in flight count too. Pinned entries can keep the cache above the
 * cap until they are released; the next release evicts.
 */
export class DiskStore {
  readonly #entries = new Map<string, StoreEntry>();
  readonly #pins = new Map<string, number>();
  readonly #deleting = new Map<string, Promise<void>>();
  readonly #opts: DiskStoreOptions;
  #bytes = 0;
  #reserved = 0;

  constructor(opts: DiskStoreOptions) {
    this.#opts = opts;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get files(): number {
    return this.#entries.size;
  }

  /** Create the layout, drop leftovers of an earlier run (temp files, bodies without metadata), load the index. */
  async init(): Promise<void> {
    const tmp = join(this.#opts.dir, 'tmp');
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const data = join(this.#opts.dir, 'data');
    await mkdir(data, { recursive: true });
    const found: { entry: StoreEntry; at: number }[] = [];
    for (const sub of await readdir(data)) {
      const subdir = join(data, sub);
      const names = await readdir(subdir).catch(() => [] as string[]);
      const metas = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
      for (const name of names) {
        if (name.endsWith('.json')) continue;
        const path = join(subdir, name);
        const loaded = metas.has(name) ? await loadEntry(name, path) : null;
        if (loaded === null) {
          await rm(path, { force: true });
          await rm(`${path}.json`, { force: true });
          continue;
        }
        metas.delete(name);
        found.push(loaded);
      }
      for (const orphan of metas) await rm(join(subdir, `${orphan}.json`), { force: true });
    }
    found.sort((a, b) => a.at - b.at);
    for (const { entry } of found) {
      this.#entries.set(entry.hash, entry);
      this.#bytes += entry.size;
    }
    this.#evict();
    this.#changed();
  }

  tempPath(hash: string): string {
    return join(this.#opts.dir, 'tmp', `${hash}.${randomUUID()}`);
  }

  pathOf(hash: string): string {
    return join(this.#opts.dir, 'data', hash.slice(0, 2), hash);
  }

  /** Look up and mark as most recently used. */
  get(hash: string): StoreEntry | undefined {
    const e = this.#entries.get(hash);
    if (e !== undefined) {
      this.#entries.delete(hash);
      this.#entries.set(hash, e);
    }
    return e;
  }

  pin(hash: string): void {
    this.#pins.set(hash, (this.#pins.get(hash) ?? 0) + 1);
  }

  unpin(hash: string): void {
    const n = (this.#pins.get(hash) ?? 0) - 1;
    if (n > 0) {
      this.#pins.set(hash, n);
      return;
    }
    this.#pins.delete(hash);
    this.#evict();
  }

  /** Room for a download in flight: may evict now so the finished body fits. */
  reserve(bytes: number): void {
    this.#reserved += bytes;
    this.#evict();
  }

  unreserve(bytes: number): void {
    this.#reserved = Math.max(0, this.#reserved - bytes);
  }

  /** Move a finished temp file into place (atomic rename), then write its metadata, index it and evict. */
  async commit(hash: string, tempPath: string, meta: StoredMeta): Promise<StoreEntry> {
    await this.#deleting.get(hash);
    const path = this.pathOf(hash);
    await mkdir(join(this.#opts.dir, 'data', hash.slice(0, 2)), { recursive: true });
    await rename(tempPath, path);
    const metaTemp = `${this.tempPath(hash)}.json`;
    await writeFile(metaTemp, JSON.stringify(meta));
    await rename(metaTemp, `${path}.json`);
    const old = this.#entries.get(hash);
    if (old !== undefined) this.#bytes -= old.size;
    const entry: StoreEntry = { ...meta, hash, path };
    this.#entries.delete(hash);
    this.#entries.set(hash, entry);
    this.#bytes += entry.size;
    this.#evict();
    this.#changed();
    return entry;
  }

  #evict(): void {
    let evicted = false;
    for (const [hash, entry] of this.#entries) {
      if (this.#bytes + this.#reserved <= this.#opts.maxBytes) break;
      if ((this.#pins.get(hash) ?? 0) > 0) continue;
      this.#entries.delete(hash);
      this.#bytes -= entry.size;
      evicted = true;
      this.#opts.onEvict?.(entry);
      // A new commit of the same hash waits for this delete, so it cannot remove the fresh file.
      const done = Promise.all([unlink(entry.path), unlink(`${entry.path}.json`)]).then(
        () => undefined,
        () => undefined,
      );
      this.#deleting.set(hash, done);
      void done.then(() => {
        if (this.#deleting.get(hash) === done) this.#deleting.delete(hash);
      });
    }
    if (evicted) this.#changed();
  }

  #changed(): void {
    this.#opts.onChange?.(this.#bytes, this.#entries.size);
  }
}

async function loadEntry(hash: string, path: string): Promise<{ entry: StoreEntry; at: number } | null> {
  try {
    const parsed = metaSchema.safeParse(JSON.parse(await readFile(`${path}.json`, 'utf8')));
    if (!parsed.success) return null;
    const st = await stat(path);
    if (!st.isFile() || st.size !== parsed.data.size) return null;
    const at = Date.parse(parsed.data.storedAt);
    return { entry: { ...parsed.data, hash, path }, at: Number.isFinite(at) ? at : 0 };
  } catch {
    return null;
  }
}
