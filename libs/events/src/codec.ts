import { EventValidationError, SubjectError } from './errors.js';
import { EVENT_SCHEMAS, type AnyEvent, type EventInput, type EventKind, type EventOf } from './events.js';
import { parseSubject, subjectFor } from './subjects.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Validate and serialise an event. Throws EventValidationError naming the bad field. */
export function encodeEvent<K extends EventKind>(
  kind: K,
  event: EventInput<K>,
): { subject: string; data: Uint8Array; event: EventOf<K> } {
  const parsed = validateEvent(kind, event);
  return { subject: subjectFor(kind, parsed.machineId), data: encoder.encode(JSON.stringify(parsed)), event: parsed };
}

/** Validate an event payload against its kind's schema, applying defaults. */
export function validateEvent<K extends EventKind>(kind: K, event: unknown): EventOf<K> {
  const result = EVENT_SCHEMAS[kind].safeParse(event);
  if (!result.success) throw new EventValidationError(`invalid ${kind} event`, result.error.issues);
  return result.data as EventOf<K>;
}

export type DecodeResult = ({ ok: true } & AnyEvent) | { ok: false; error: EventValidationError | SubjectError };

/** Parse a message received on `subject`. Never throws: hostile input is a value. */
export function decodeEvent(subject: string, data: Uint8Array): DecodeResult {
  const parsedSubject = parseSubject(subject);
  if (parsedSubject instanceof SubjectError) return { ok: false, error: parsedSubject };
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch (cause) {
    return {
      ok: false,
      error: new EventValidationError(
        `invalid ${parsedSubject.kind} event`,
        [{ code: 'custom', path: [], message: 'body is not UTF-8 JSON', input: undefined }],
        { cause },
      ),
    };
  }
  const result = EVENT_SCHEMAS[parsedSubject.kind].safeParse(json);
  if (!result.success) {
    return { ok: false, error: new EventValidationError(`invalid ${parsedSubject.kind} event`, result.error.issues) };
  }
  if (result.data.machineId !== parsedSubject.machineId) {
    return {
      ok: false,
      error: new EventValidationError(`invalid ${parsedSubject.kind} event`, [
        {
          code: 'custom',
          path: ['machineId'],
          message: `does not match the subject's id ${parsedSubject.machineId}`,
          input: result.data.machineId,
        },
      ]),
    };
  }
  return { ok: true, kind: parsedSubject.kind, event: result.data } as { ok: true } & AnyEvent;
}
