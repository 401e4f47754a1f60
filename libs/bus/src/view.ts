import type { BucketName } from '@metalbus/events';
import { KvWatchInclude, type KV, type KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';
import type { Logger } from '@metalbus/telemetry';
import type { z } from 'zod';
import { BusError, BusErrorCode } from './errors.js';
import type { BusCore } from './core.js';

export type ViewChange<T> =
  | { op: 'put'; kvKey: string; value: T; previous: T | undefined; revision: number }
  | { op: 'delete'; kvKey: string; previous: T | undefined; revision: number };

export type ViewOptions<T> = {
  /** Called after each change is applied (also for the initial values). Must not throw; errors are logged. */
  onChange?: (change: ViewChange<T>) => void;
  logger?: Logger;
};

/** An in-memory copy of one KV bucket, fed by a watch. Reads never touch the network. */
export type View<T> = {
  readonly bucket: string;
  /** Resolves once the values present at start are loaded; rejects if the view is stopped first. */
  readonly bootstrapped: Promise<void>;
  isBootstrapped(): boolean;
  get(key: string): T | undefined;
  entries(): IterableIterator<[string, T]>;
  readonly size: number;
  stop(): Promise<void>;
};

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;
const decoder = new TextDecoder('utf-8', { fatal: true });

type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

function parseRecord<S extends z.ZodType>(schema: S, bytes: Uint8Array): Parsed<z.output<S>> {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch {
    return { ok: false, field: '(root)', message: 'value is not UTF-8 JSON' };
  }
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  return { ok: false, field: issue?.path.map(String).join('.') || '(root)', message: issue?.message ?? 'invalid' };
}

/**
 * Watches `bucket` (last value per key, no history) into a Map. Invalid records (bad JSON or schema) leave the
 * map — their latest state is unusable — and are counted and logged with the key and the zod field. After every
 * reconnect the watch is re-established from a fresh snapshot, and keys missing from it are removed.
 */
export function createView<S extends z.ZodType>(
  core: BusCore,
  bucket: BucketName,
  schema: S,
  opts: ViewOptions<z.output<S>> = {},
): View<z.output<S>> {
  type T = z.output<S>;
  const name = core.names.bucket(bucket);
  const log = (opts.logger ?? core.logger).child({ view: name });
  const map = new Map<string, T>();
  let stopped = false;
  let bootstrapped = false;
  let current: QueuedIterator<KvWatchEntry> | null = null;
  let wake: (() => void) | null = null;
  let attempt = 0;
  let restartRequested = false;
  let resolveBoot!: () => void;
  let rejectBoot!: (err: Error) => void;
  const bootPromise = new Promise<void>((resolve, reject) => {
    resolveBoot = resolve;
    rejectBoot = reject;
  });
  bootPromise.catch(() => undefined); // a view stopped before bootstrapping is not an unhandled rejection

  const notify = (change: ViewChange<T>) => {
    if (!opts.onChange) return;
    try {
      opts.onChange(change);
    } catch (err) {
      log.warn({ err, kvKey: change.kvKey }, 'view onChange callback failed');
    }
  };

  const remove = (kvKey: string, revision: number) => {
    const previous = map.get(kvKey);
    if (!map.delete(kvKey)) return;
    notify({ op: 'delete', kvKey, previous, revision });
  };

  const apply = (e: KvWatchEntry) => {
    if (e.operation !== 'PUT') {
      remove(e.key, e.revision);
      return;
    }
    const parsed = parseRecord(schema, e.value);
    if (!parsed.ok) {
      core.metrics.viewInvalid.inc({ bucket: name });
      log.warn(
        { kvKey: e.key, revision: e.revision, field: parsed.field, error: parsed.message },
        'invalid record skipped',
      );
      remove(e.key, e.revision);
      return;
    }
    const previous = map.get(e.key);
    map.set(e.key, parsed.value);
    notify({ op: 'put', kvKey: e.key, value: parsed.value, previous, revision: e.revision });
  };

  const watchOnce = async (): Promise<void> => {
    const kv: KV = await core.kvm.open(name);
    const iter = await kv.watch({ include: KvWatchInclude.LastValue });
    current = iter;
    if (stopped) {
      iter.stop();
      return;
    }
    const seen = new Set<string>();
    let syncing = true;
    const finishSync = () => {
      syncing = false;
      attempt = 0;
      // Keys that vanished while we were not watching (deleted, then their markers purged or aged out).
      for (const k of [...map.keys()]) if (!seen.has(k)) remove(k, 0);
      if (!bootstrapped) {
        bootstrapped = true;
        log.debug({ size: map.size }, 'view bootstrapped');
        resolveBoot();
      }
    };
    // An empty bucket delivers nothing, so ask whether there is anything to wait for.
    const status = await kv.status();
    if (status.values === 0) finishSync();
    for await (const e of iter) {
      if (syncing) seen.add(e.key);
      apply(e);
      // The watcher marks the last entry of the initial snapshot as an update; delta is what is still pending.
      if (syncing && (e.isUpdate || e.delta === 0)) finishSync();
    }
  };

  const run = async () => {
    while (!stopped && !core.nc.isClosed()) {
      restartRequested = false;
      try {
        await watchOnce();
        // Ended by a reconnect: re-watch now. Ended by itself: back off like a failure.
        if (!restartRequested) attempt++;
      } catch (err) {
        if (!stopped) log.warn({ err, attempt }, 'view watch failed; retrying');
        attempt++;
      }
      current = null;
      if (stopped || core.nc.isClosed()) break;
      const delay = attempt === 0 ? 0 : Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (attempt - 1));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
    }
  };

  // A server restart loses the watcher's ephemeral consumer; re-watch at once instead of waiting for
  // missed heartbeats.
  const unsubscribe = core.onStatus((s) => {
    if (s.type !== 'reconnect') return;
    log.debug('reconnected; re-establishing watch');
    restartRequested = true;
    current?.stop();
    wake?.();
  });

  const loop = run();

  return {
    bucket: name,
    bootstrapped: bootPromise,
    isBootstrapped: () => bootstrapped,
    get: (key) => map.get(key),
    entries: () => map.entries(),
    get size() {
      return map.size;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      current?.stop();
      wake?.();
      if (!bootstrapped)
        rejectBoot(new BusError(BusErrorCode.viewStopped, `view ${name} stopped before it bootstrapped`));
      await loop;
    },
  };
}
