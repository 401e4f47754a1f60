import type { BucketName } from '@metalbus/events';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { BusError, BusErrorCode } from './errors.js';
import type { BusCore } from './core.js';

export type BucketLimits = { history?: number; maxBytes?: number };

export type ProvisionOptions = {
  /** MACHINES retention by age. Default 7 days. */
  maxAgeMs?: number;
  /** MACHINES retention by size. Default 1 GiB. */
  maxBytes?: number;
  /** Nats-Msg-Id dedup window. Default 2 minutes. */
  duplicateWindowMs?: number;
  /** Stream replicas (1 for a single server, 3 for a cluster). Default 1. */
  replicas?: number;
  /** Per-bucket overrides; default history 5 (values kept per key), unbounded size. */
  buckets?: Partial<Record<BucketName, BucketLimits>>;
};

export type ProvisionOutcome = 'created' | 'updated' | 'unchanged';
export type ProvisionReport = {
  stream: { name: string; outcome: ProvisionOutcome };
  buckets: { name: string; outcome: ProvisionOutcome }[];
};

const DAY_MS = 24 * 60 * 60 * 1000;
export const PROVISION_DEFAULTS = {
  maxAgeMs: 7 * DAY_MS,
  maxBytes: 1024 ** 3,
  duplicateWindowMs: 2 * 60 * 1000,
  replicas: 1,
  history: 5,
} as const;

/** JetStream API error 10058: "stream name already in use" (lost a creation race, or a different config). */
const STREAM_NAME_IN_USE = 10058;
// nats-server 2.9 may answer a concurrent create of the same stream with "subjects overlap with an existing
// stream" instead of "name in use": the overlapping stream is the one the other service just created.
const STREAM_SUBJECT_OVERLAP = 10065;
const CREATE_RACE_CODES: ReadonlySet<number> = new Set([STREAM_NAME_IN_USE, STREAM_SUBJECT_OVERLAP]);

type Desired = Pick<
  StreamConfig,
  'name' | 'subjects' | 'retention' | 'storage' | 'discard' | 'max_age' | 'max_bytes' | 'num_replicas'
> &
  Partial<Pick<StreamConfig, 'duplicate_window' | 'max_msgs_per_subject' | 'allow_rollup_hdrs' | 'allow_direct'>>;

/** The MACHINES stream: limits retention, bounded age and size, file storage (nats-server 2.9 features only). */
export function machinesStreamConfig(core: Pick<BusCore, 'names'>, opts: ProvisionOptions = {}): Desired {
  return {
    name: core.names.stream,
    subjects: [...core.names.streamSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(opts.maxAgeMs ?? PROVISION_DEFAULTS.maxAgeMs),
    max_bytes: opts.maxBytes ?? PROVISION_DEFAULTS.maxBytes,
    duplicate_window: nanos(opts.duplicateWindowMs ?? PROVISION_DEFAULTS.duplicateWindowMs),
    num_replicas: opts.replicas ?? PROVISION_DEFAULTS.replicas,
  };
}

/**
 * The stream behind a KV bucket, as the KV convention (ADR-8) lays it out: `KV_<bucket>` on `$KV.<bucket>.>`,
 * one subject per key, history as max_msgs_per_subject, rollup headers for purge, discard new, direct get.
 */
export function bucketStreamConfig(
  bucket: string,
  limits: BucketLimits = {},
  replicas: number = PROVISION_DEFAULTS.replicas,
): Desired {
  return {
    name: `KV_${bucket}`,
    subjects: [`$KV.${bucket}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_age: 0,
    max_bytes: limits.maxBytes ?? -1,
    max_msgs_per_subject: limits.history ?? PROVISION_DEFAULTS.history,
    allow_rollup_hdrs: true,
    allow_direct: true,
    num_replicas: replicas,
  };
}

/**
 * Creates or updates the MACHINES stream and every KV bucket. Idempotent and safe to run concurrently from
 * several services: creation races are resolved by re-reading, and updates only touch the fields set here.
 */
export async function provision(
  core: Pick<BusCore, 'jsm' | 'names' | 'logger'>,
  opts: ProvisionOptions = {},
): Promise<ProvisionReport> {
  const replicas = opts.replicas ?? PROVISION_DEFAULTS.replicas;
  const stream = machinesStreamConfig(core, opts);
  const streamOutcome = await ensureStream(core.jsm, stream);
  const buckets = await Promise.all(
    core.names.buckets.map(async (b) => {
      const name = core.names.bucket(b);
      return { name, outcome: await ensureStream(core.jsm, bucketStreamConfig(name, opts.buckets?.[b], replicas)) };
    }),
  );
  const report = { stream: { name: stream.name, outcome: streamOutcome }, buckets };
  core.logger.info(
    { stream: report.stream, buckets: buckets.filter((b) => b.outcome !== 'unchanged') },
    'JetStream provisioned',
  );
  return report;
}

async function info(jsm: JetStreamManager, name: string): Promise<StreamInfo | null> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return null;
    throw err;
  }
}

export async function ensureStream(jsm: JetStreamManager, want: Desired): Promise<ProvisionOutcome> {
  try {
    let existing = await info(jsm, want.name);
    if (existing === null) {
      try {
        await jsm.streams.add(want);
        return 'created';
      } catch (err) {
        // Another service created it between our info and add (with an identical config the server simply
        // answers OK); fall through to compare and update.
        if (!(err instanceof JetStreamApiError && CREATE_RACE_CODES.has(err.code))) throw err;
        existing = await info(jsm, want.name);
        if (existing === null) throw err;
      }
    }
    const cfg = existing.config;
    if (cfg.storage !== want.storage || cfg.retention !== want.retention) {
      // Immutable on the server: report it rather than fight an operator's deliberate choice.
      throw new BusError(
        BusErrorCode.provision,
        `stream ${want.name} exists with storage=${cfg.storage} retention=${cfg.retention}; expected ${want.storage}/${want.retention} (delete it to recreate)`,
      );
    }
    if (matches(cfg, want)) return 'unchanged';
    await jsm.streams.update(want.name, { ...cfg, ...want });
    return 'updated';
  } catch (err) {
    if (err instanceof BusError) throw err;
    throw new BusError(BusErrorCode.provision, `cannot provision stream ${want.name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function matches(have: StreamConfig, want: Desired): boolean {
  for (const [k, v] of Object.entries(want)) {
    const h = (have as unknown as Record<string, unknown>)[k];
    if (Array.isArray(v)) {
      if (!Array.isArray(h) || [...h].sort().join('\n') !== [...(v as string[])].sort().join('\n')) return false;
    } else if ((h ?? defaultOf(k)) !== v) {
      return false;
    }
  }
  return true;
}

// Fields a 2.9 server omits from the config when they are false/zero.
function defaultOf(key: string): unknown {
  return key === 'allow_rollup_hdrs' || key === 'allow_direct' ? false : undefined;
}
