import { bucketStreamConfig, ensureStream, type Bus, type Names } from '@metalbus/bus';
import type { KV } from '@nats-io/kv';

/**
 * The two buckets power owns besides `power` (ARCHITECTURE.md "State": one writer per bucket): short-lived
 * per-BMC leases and per-request outcome records for idempotency. Both expire by the stream's max_age, which
 * nats-server 2.9 supports (per-message TTL would need 2.11), so a key lives until its last write ages out.
 */
export const POWER_BUCKETS = { leases: 'power-leases', requests: 'power-requests' } as const;
export type PowerBucket = (typeof POWER_BUCKETS)[keyof typeof POWER_BUCKETS];

/** The real bucket name, namespaced like the library's buckets (`t1-power-leases`). */
export function powerBucketName(names: Pick<Names, 'namespace'>, bucket: PowerBucket): string {
  return names.namespace === '' ? bucket : `${names.namespace}-${bucket}`;
}

const DEDUP_MAX_MS = 2 * 60 * 1000;

/**
 * Creates or updates a history-1 bucket whose values expire `ttlMs` after their last write, and opens it.
 * Idempotent and race-safe (ensureStream); the dedup window is kept within max_age, as the server requires.
 */
export async function ensureExpiringBucket(
  bus: Pick<Bus, 'jsm' | 'kvm'>,
  name: string,
  ttlMs: number,
  replicas = 1,
): Promise<KV> {
  const ms = (n: number) => n * 1_000_000;
  await ensureStream(bus.jsm, {
    ...bucketStreamConfig(name, { history: 1 }, replicas),
    max_age: ms(ttlMs),
    duplicate_window: ms(Math.min(ttlMs, DEDUP_MAX_MS)),
  });
  return bus.kvm.open(name);
}

/** Whether a KV write failed because the key's revision was not the expected one (create/update lost a race). */
export function isRevisionConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  // JetStream API errors 10071 (wrong last sequence) and 10164 (wrong last sequence, unknown).
  return code === 10071 || code === 10164;
}
