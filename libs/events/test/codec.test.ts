import { describe, expect, it } from 'vitest';
import {
  EVENT_KINDS,
  EventValidationError,
  decodeEvent,
  encodeEvent,
  parseSubject,
  SubjectError,
  subjectFor,
  subjectPattern,
} from '@metalbus/events';

const id = '12345678-9abc-def0-1122-334455667788';
const at = '2026-11-21T12:00:00.000Z';

describe('subjects', () => {
  it('builds and parses every kind', () => {
    for (const kind of EVENT_KINDS) {
      const subject = subjectFor(kind, id);
      expect(subject).toBe(`machine.${kind}.${id}`);
      expect(parseSubject(subject)).toEqual({ kind, machineId: id });
    }
    expect(subjectPattern('power.requested')).toBe('machine.power.requested.*');
    expect(subjectPattern('all')).toBe('machine.>');
  });

  it('refuses ids that would break the subject space', () => {
    expect(() => subjectFor('discovered', 'a.b')).toThrow(SubjectError);
    expect(() => subjectFor('discovered', '*')).toThrow(SubjectError);
    expect(parseSubject('machine.exploded.' + id)).toBeInstanceOf(SubjectError);
    expect(parseSubject('other.discovered.' + id)).toBeInstanceOf(SubjectError);
    expect(parseSubject('machine.discovered.nope')).toBeInstanceOf(SubjectError);
  });
});

describe('encode/decode', () => {
  it('round-trips an event and applies defaults', () => {
    const { subject, data } = encodeEvent('power.requested', {
      schema: 1,
      machineId: id,
      at,
      requestId: 'r-1',
      action: 'on',
      bootDevice: 'pxe',
      requestedBy: 'cli',
    });
    expect(subject).toBe(`machine.power.requested.${id}`);
    const decoded = decodeEvent(subject, data);
    expect(decoded).toEqual({
      ok: true,
      kind: 'power.requested',
      event: {
        schema: 1,
        machineId: id,
        at,
        requestId: 'r-1',
        action: 'on',
        bootDevice: 'pxe',
        bootFirmware: null,
        deadline: null,
        requestedBy: 'cli',
        reason: null,
      },
    });
  });

  it('rejects an invalid payload naming the field', () => {
    let error: unknown;
    try {
      encodeEvent('power.requested', {
        schema: 1,
        machineId: id,
        at,
        requestId: 'r-1',
        action: 'explode' as 'on',
        requestedBy: 'cli',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).field).toBe('action');
    expect((error as EventValidationError).message).toMatch(/field "action"/);
  });

  it('turns hostile bytes into values, never exceptions', () => {
    const subject = `machine.power.changed.${id}`;
    const bad = [new Uint8Array([0xff, 0xfe]), new TextEncoder().encode('{'), new TextEncoder().encode('null')];
    for (const data of bad) {
      const result = decodeEvent(subject, data);
      expect(result.ok).toBe(false);
    }
    const mismatched = encodeEvent('power.changed', {
      schema: 1,
      machineId: id,
      at,
      state: 'on',
      previous: 'off',
      source: 'poll',
    });
    const other = `machine.power.changed.mac-525400123456`;
    const result = decodeEvent(other, mismatched.data);
    expect(result.ok).toBe(false);
    if (!result.ok) expect((result.error as EventValidationError).field).toBe('machineId');
  });
});
