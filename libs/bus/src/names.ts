import {
  BUCKETS,
  STREAM_NAME,
  STREAM_SUBJECTS,
  subjectFor,
  subjectPattern,
  type BucketName,
  type EventKind,
} from '@metalbus/events';
import { NAMESPACE_RE } from './config.js';
import { BusError, BusErrorCode } from './errors.js';

/**
 * Logical → real names. With namespace `t123`: stream `t123_MACHINES`, subjects `t123.machine.…`, buckets
 * `t123-machines`. Without one, the real names. Consumer names need no prefix: they live inside the stream.
 */
export type Names = {
  readonly namespace: string;
  readonly stream: string;
  readonly streamSubjects: readonly string[];
  subject(kind: EventKind, machineId: string): string;
  pattern(kind: EventKind | 'all'): string;
  /** Prefix a subject produced by @metalbus/events (`machine.…`). */
  qualify(subject: string): string;
  /** The `machine.…` subject of a received message, or null when it lies outside this namespace. */
  local(subject: string): string | null;
  bucket(bucket: BucketName): string;
  readonly buckets: readonly BucketName[];
};

export function createNames(namespace = ''): Names {
  if (namespace !== '' && !NAMESPACE_RE.test(namespace)) {
    throw new BusError(
      BusErrorCode.invalidNamespace,
      `invalid NATS namespace ${JSON.stringify(namespace)}: use 1-32 of [A-Za-z0-9_-]`,
    );
  }
  const prefix = namespace === '' ? '' : `${namespace}.`;
  const qualify = (subject: string) => `${prefix}${subject}`;
  return {
    namespace,
    stream: namespace === '' ? STREAM_NAME : `${namespace}_${STREAM_NAME}`,
    streamSubjects: STREAM_SUBJECTS.map(qualify),
    subject: (kind, machineId) => qualify(subjectFor(kind, machineId)),
    pattern: (kind) => qualify(subjectPattern(kind)),
    qualify,
    local: (subject) => (prefix === '' ? subject : subject.startsWith(prefix) ? subject.slice(prefix.length) : null),
    bucket: (bucket) => (namespace === '' ? bucket : `${namespace}-${bucket}`),
    buckets: Object.values(BUCKETS),
  };
}
