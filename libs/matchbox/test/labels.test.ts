import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LABEL_LIMITS, LabelError, omitLabels, parseLabels, rawQueryOf } from '@metalbus/matchbox';

const labelsOf = (query: string) => {
  const result = parseLabels(query);
  if (!result.ok) throw result.error;
  return { ...result.value.labels };
};

describe('parseLabels', () => {
  it('takes the Matchbox cases (matchbox/http/parse_test.go), normalising mac and uuid', () => {
    expect(labelsOf('')).toEqual({});
    expect(labelsOf('uuid=a1b2c3')).toEqual({ uuid: 'a1b2c3' });
    expect(labelsOf('mac=52:da:00:89:d8:10')).toEqual({ mac: '52:da:00:89:d8:10' });
    expect(labelsOf('mac=52-da-00-89-d8-10')).toEqual({ mac: '52:da:00:89:d8:10' });
    expect(labelsOf('uuid=a1b2c3&mac=52:da:00:89:d8:10')).toEqual({ uuid: 'a1b2c3', mac: '52:da:00:89:d8:10' });
    // Keys keep their case; the reserved parsing applies whatever the case.
    expect(labelsOf('UUID=A1B2C3&MAC=52:DA:00:89:d8:10')).toEqual({ UUID: 'a1b2c3', MAC: '52:da:00:89:d8:10' });
  });

  it('canonicalises UUIDs, keeps the first of repeated keys, decodes + and %XX, keeps other labels verbatim', () => {
    expect(
      labelsOf(
        'uuid=4C4C4544-0037-3010-8048-B4C04F4A4E32&os=installed&os=other&hostname=node+1&serial=SN%201%2F2&empty=&flag',
      ),
    ).toEqual({
      uuid: '4c4c4544-0037-3010-8048-b4c04f4a4e32',
      os: 'installed',
      hostname: 'node 1',
      serial: 'SN 1/2',
      empty: '',
      flag: '',
    });
  });

  it('returns a typed error for an invalid MAC (Matchbox would drop it; we answer 400)', () => {
    const result = parseLabels('mac=x:x:x:x:x:x&uuid=1');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(LabelError);
    expect({ code: result.error.code, key: result.error.key, message: result.error.message }).toEqual({
      code: 'invalid-mac',
      key: 'mac',
      message: '"mac" is not a MAC address: "x:x:x:x:x:x"',
    });
  });

  it('refuses absurd sizes and broken escapes with a reason', () => {
    const codeOf = (q: string) => {
      const r = parseLabels(q);
      return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`;
    };
    expect(codeOf(`hostname=${'a'.repeat(257)}`)).toBe(
      'label-too-long: value of "hostname" is longer than 256 characters',
    );
    expect(codeOf(`hostname=${'a'.repeat(256)}`)).toBe('ok');
    expect(codeOf(`${'k'.repeat(65)}=1`)).toBe('label-too-long: a query key is longer than 64 characters');
    expect(codeOf(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join('&'))).toBe(
      'too-many-labels: more than 32 labels',
    );
    expect(codeOf(Array.from({ length: 32 }, (_, i) => `k${i}=v`).join('&'))).toBe('ok');
    expect(codeOf(Array.from({ length: 65 }, () => 'k=v').join('&'))).toBe(
      'too-many-labels: more than 64 query parameters',
    );
    expect(codeOf('serial=%zz')).toBe('bad-query-encoding: bad %-escape in "serial=%zz"');
    expect(codeOf('a='.padEnd(DEFAULT_LABEL_LIMITS.maxQueryLength + 1, 'x'))).toBe(
      'label-too-long: query string is longer than 8192 characters',
    );
  });

  it('labels are a null-prototype record: no key reaches Object.prototype', () => {
    const result = parseLabels('__proto__=x&constructor=y');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.getPrototypeOf(result.value.labels)).toBe(null);
    expect(result.value.labels['__proto__']).toBe('x');
    expect(result.value.labels['toString']).toBe(undefined);
  });

  it('never throws on hostile input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (query) => {
        const result = parseLabels(query);
        expect(typeof result.ok).toBe('boolean');
      }),
      { seed: 20260822, numRuns: 300 },
    );
  });

  it('omitLabels drops keys from the labels and the raw query, and keeps a request without them as it is', () => {
    const parsed = parseLabels('uuid=a1&bootstrap=1&b%6Fotstrap=2&os=x&bootstrap');
    if (!parsed.ok) throw parsed.error;
    const omitted = omitLabels(parsed.value, ['bootstrap']);
    expect({ labels: { ...omitted.labels }, rawQuery: omitted.rawQuery }).toEqual({
      labels: { uuid: 'a1', os: 'x' },
      rawQuery: 'uuid=a1&os=x',
    });
    expect(Object.getPrototypeOf(omitted.labels)).toBe(null);
    const plain = parseLabels('uuid=a1&os=x');
    if (!plain.ok) throw plain.error;
    expect(omitLabels(plain.value, ['bootstrap'])).toBe(plain.value);
  });

  it('rawQueryOf takes the part after ? and drops a fragment', () => {
    expect([rawQueryOf('/ipxe'), rawQueryOf('/ipxe?a=b&c'), rawQueryOf('/x?a=b#frag')]).toEqual(['', 'a=b&c', 'a=b']);
  });
});
