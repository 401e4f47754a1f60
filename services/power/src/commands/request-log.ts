import { createHash } from 'node:crypto';
import { EVENT_SCHEMAS, powerActionSchema, timestampSchema } from '@metalbus/events';
import type { KV } from '@nats-io/kv';
import { z } from 'zod';
import { isRevisionConflict } from './buckets.js';

/**
 * One record per command in `power-requests`, keyed `<machineId>.<requestId>`: the crash-safety marker while
 * the command runs (`sending` before the action goes to the BMC, `sent` once the BMC took it) and the outcome
 * once done, so a redelivered or duplicate command is answered from here instead of being executed again.
 */
export const outcomeSchema = EVENT_SCHEMAS['power.completed']
  .pick({ outcome: true, error: true, observed: true, driver: true, durationMs: true, attempts: true })
  .extend({ at: timestampSchema });
export type Outcome = z.infer<typeof outcomeSchema>;

export const requestRecordSchema = z.object({
  requestId: z.string(),
  machineId: z.string(),
  action: powerActionSchema,
  phase: z.enum(['sending', 'sent', 'done']),
  replica: z.string(),
  updatedAt: timestampSchema,
  outcome: outcomeSchema.nullable(),
});
export type RequestRecord = z.infer<typeof requestRecordSchema>;
export type Phase = RequestRecord['phase'];

export type StoredRequest = { record: RequestRecord; revision: number };

/** Result of a compare-and-set write: the new revision, or what was there instead. */
export type WriteResult = { ok: true; revision: number } | { ok: false; current: StoredRequest | null };

export type RequestLog = {
  get(machineId: string, requestId: string): Promise<StoredRequest | null>;
  /** Writes `record` if the key is at `revision` (null: must not exist yet). */
  write(record: RequestRecord, revision: number | null): Promise<WriteResult>;
};

const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The KV key of a command: request ids outside `[A-Za-z0-9_-]` (KV's key alphabet) are hashed. */
export function requestKey(machineId: string, requestId: string): string {
  const id = SAFE_ID.test(requestId) ? requestId : `sha256-${createHash('sha256').update(requestId).digest('hex')}`;
  return `${machineId}.${id}`;
}

export function createRequestLog(kv: KV): RequestLog {
  const read = async (key: string): Promise<StoredRequest | null> => {
    const e = await kv.get(key);
    if (e === null || e.operation !== 'PUT') return null;
    const parsed = requestRecordSchema.safeParse(e.json<unknown>());
    // A record we cannot read is treated as absent: the command then runs with its state checks.
    return parsed.success ? { record: parsed.data, revision: e.revision } : null;
  };
  return {
    get: (machineId, requestId) => read(requestKey(machineId, requestId)),
    async write(record, revision) {
      const key = requestKey(record.machineId, record.requestId);
      const value = JSON.stringify(record);
      try {
        const rev = revision === null ? await kv.create(key, value) : await kv.update(key, value, revision);
        return { ok: true, revision: rev };
      } catch (err) {
        if (!isRevisionConflict(err)) throw err;
        return { ok: false, current: await read(key) };
      }
    },
  };
}
