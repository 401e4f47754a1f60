import { SubjectError } from './errors.js';
import { EVENT_KINDS, type EventKind } from './events.js';
import { isMachineId } from './identity.js';

export const SUBJECT_ROOT = 'machine';
export const STREAM_NAME = 'MACHINES';
export const STREAM_SUBJECTS = [`${SUBJECT_ROOT}.>`] as const;

export const BUCKETS = {
  machines: 'machines',
  bootIntents: 'boot-intents',
  profiles: 'profiles',
  groups: 'groups',
  templates: 'templates',
  bmcs: 'bmcs',
  power: 'power',
  provider: 'provider',
} as const;
export type BucketKey = keyof typeof BUCKETS;
export type BucketName = (typeof BUCKETS)[BucketKey];

const KIND_BY_MIDDLE = new Map<string, EventKind>(EVENT_KINDS.map((k) => [k, k]));

/** `machine.<kind>.<id>`, e.g. `machine.power.requested.4c4c4544-…`. */
export function subjectFor(kind: EventKind, machineId: string): string {
  if (!isMachineId(machineId)) throw new SubjectError(`not a machine id: ${JSON.stringify(machineId)}`);
  return `${SUBJECT_ROOT}.${kind}.${machineId}`;
}

/** Wildcard subject for one kind (`machine.power.requested.*`) or everything (`machine.>`). */
export function subjectPattern(kind: EventKind | 'all'): string {
  return kind === 'all' ? `${SUBJECT_ROOT}.>` : `${SUBJECT_ROOT}.${kind}.*`;
}

export type ParsedSubject = { kind: EventKind; machineId: string };

/** The kind and machine id of a subject, or a SubjectError for anything that is not ours. */
export function parseSubject(subject: string): ParsedSubject | SubjectError {
  const tokens = subject.split('.');
  if (tokens.length < 3 || tokens[0] !== SUBJECT_ROOT) return new SubjectError(`not a machine subject: ${subject}`);
  const machineId = tokens[tokens.length - 1] as string;
  const kind = KIND_BY_MIDDLE.get(tokens.slice(1, -1).join('.'));
  if (kind === undefined) return new SubjectError(`unknown event kind in subject: ${subject}`);
  if (!isMachineId(machineId)) return new SubjectError(`bad machine id in subject: ${subject}`);
  return { kind, machineId };
}
