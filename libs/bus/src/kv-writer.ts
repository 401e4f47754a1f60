import type { BucketName } from '@metalbus/events';
import type { KV } from '@nats-io/kv';
import type { BusCore } from './core.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON records in KV buckets by logical name, for the owners of a bucket (loader, CLI, services). */
export type KvWriter = {
  put(bucket: BucketName, key: string, value: unknown): Promise<void>;
  get(bucket: BucketName, key: string): Promise<unknown>;
  delete(bucket: BucketName, key: string): Promise<void>;
  keys(bucket: BucketName): Promise<string[]>;
};

export function createKvWriter(core: Pick<BusCore, 'kvm' | 'names'>): KvWriter {
  const opened = new Map<string, Promise<KV>>();
  const open = (bucket: BucketName) => {
    const name = core.names.bucket(bucket);
    let kv = opened.get(name);
    if (kv === undefined) {
      kv = core.kvm.open(name);
      opened.set(name, kv);
    }
    return kv;
  };
  return {
    put: async (bucket, key, value) => {
      await (await open(bucket)).put(key, encoder.encode(JSON.stringify(value)));
    },
    get: async (bucket, key) => {
      const entry = await (await open(bucket)).get(key);
      return entry === null || entry.operation !== 'PUT'
        ? undefined
        : (JSON.parse(decoder.decode(entry.value)) as unknown);
    },
    delete: async (bucket, key) => {
      await (await open(bucket)).delete(key);
    },
    keys: async (bucket) => {
      const keys: string[] = [];
      for await (const k of await (await open(bucket)).keys()) keys.push(k);
      return keys.sort();
    },
  };
}
