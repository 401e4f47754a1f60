import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  byteSize,
  configRows,
  intInRange,
  nonNegativeInt,
  parseByteSize,
  parseConfig,
  unsetIfEmpty,
} from '@metalbus/config';

describe('intInRange', () => {
  const schema = z.object({ N: intInRange(1, 255, 5, 's').describe('n') });

  it('coerces, applies the default and names the range in the expectation', () => {
    expect(['1', '255', undefined].map((N) => schema.safeParse({ N }).data)).toEqual([{ N: 1 }, { N: 255 }, { N: 5 }]);
    expect(['0', '256', '1.5', 'x'].map((N) => schema.safeParse({ N }).success)).toEqual([false, false, false, false]);
    expect(configRows(schema)).toEqual([
      { variable: 'N', default: '5', expected: 'an integer 1-255 (s)', description: 'n' },
    ]);
  });
});

describe('nonNegativeInt', () => {
  const schema = z.object({ N: nonNegativeInt(3, 'attempts').describe('n') });

  it('accepts 0 and refuses negatives and fractions', () => {
    expect(['0', '7', undefined].map((N) => schema.safeParse({ N }).data)).toEqual([{ N: 0 }, { N: 7 }, { N: 3 }]);
    expect(['-1', '0.5'].map((N) => schema.safeParse({ N }).success)).toEqual([false, false]);
    expect(configRows(schema)[0]?.expected).toBe('an integer >= 0 (attempts)');
  });
});

describe('unsetIfEmpty', () => {
  it('lets a fragment parsed on its own treat an empty value as unset', () => {
    const schema = z.object({ S: z.preprocess(unsetIfEmpty, z.string().default('d')) });
    expect([schema.parse({ S: '' }), schema.parse({ S: 'x' }), schema.parse({})]).toEqual([
      { S: 'd' },
      { S: 'x' },
      { S: 'd' },
    ]);
  });
});

describe('parseByteSize', () => {
  it('reads bytes and binary units in every spelling, fractions rounded down', () => {
    const inputs = ['0', '1024', '1B', '2KiB', '512MiB', '2GiB', '512M', '1.5k', '2 TB', ' 3 gb ', '1tib'];
    expect(inputs.map(parseByteSize)).toEqual([
      0,
      1024,
      1,
      2048,
      512 * 1024 ** 2,
      2 * 1024 ** 3,
      512 * 1024 ** 2,
      1536,
      2 * 1024 ** 4,
      3 * 1024 ** 3,
      1024 ** 4,
    ]);
  });

  it('returns null for malformed or unsafe sizes', () => {
    expect(['', 'x', '5Q', '-1', '1e3', '99999999999 TiB'].map(parseByteSize)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});

describe('byteSize', () => {
  it('parses to a number with a default, 0 allowed unless positive', () => {
    const schema = z.object({
      MEM: byteSize(1024 ** 3).describe('memory'),
      CAP: byteSize(10 * 1024 ** 3, { positive: true }).describe('cap'),
    });
    expect(schema.parse({})).toEqual({ MEM: 1024 ** 3, CAP: 10 * 1024 ** 3 });
    expect(schema.parse({ MEM: '0', CAP: '20GiB' })).toEqual({ MEM: 0, CAP: 20 * 1024 ** 3 });
    expect(configRows(schema).map((r) => [r.default, r.expected])).toEqual([
      ['1073741824', 'bytes or a size such as 512MiB'],
      ['10737418240', 'a positive size in bytes, e.g. 10737418240 or 10GiB'],
    ]);
  });

  it('names the variable and the accepted form in a config error', () => {
    const schema = z.object({ CAP: byteSize(1, { positive: true }).describe('cap') });
    const result = parseConfig('svc', schema, { CAP: '0' });
    expect(result.ok ? null : result.error.issues).toEqual([
      { variable: 'CAP', expected: 'a positive size in bytes, e.g. 10737418240 or 10GiB', received: '0' },
    ]);
  });
});
