import { isIP } from 'node:net';
import { z } from 'zod';

// Env-var field builders. Each carries `expected` metadata so errors and the generated README table say, in
// words, what a variable accepts.

export function port(defaultValue?: number) {
  const base = z.coerce.number().int().min(0).max(65535).meta({ expected: 'a port number 0-65535' });
  return defaultValue === undefined ? base : base.default(defaultValue);
}

export function positiveInt(defaultValue: number, unit = '') {
  return z.coerce
    .number()
    .int()
    .positive()
    .meta({ expected: `a positive integer${unit ? ` (${unit})` : ''}` })
    .default(defaultValue);
}

export function nonNegativeInt(defaultValue: number, unit = '') {
  return z.coerce
    .number()
    .int()
    .min(0)
    .meta({ expected: `an integer >= 0${unit ? ` (${unit})` : ''}` })
    .default(defaultValue);
}

export function intInRange(min: number, max: number, defaultValue: number, unit = '') {
  return z.coerce
    .number()
    .int()
    .min(min)
    .max(max)
    .meta({ expected: `an integer ${min}-${max}${unit ? ` (${unit})` : ''}` })
    .default(defaultValue);
}

/**
 * For `z.preprocess`: an empty value means unset. parseConfig already drops empty variables; fragments that are
 * also parsed on their own (tests, merged schemas) use this so `FOO=` falls back to the default there too.
 */
export const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);

export function bool(defaultValue: boolean) {
  return z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on')
    .meta({ expected: 'true or false' })
    .default(defaultValue);
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, defaultValue: T[number]) {
  return z
    .enum(values)
    .meta({ expected: `one of ${values.join(', ')}` })
    .default(defaultValue);
}

export function url(protocols: readonly string[] = ['http:', 'https:']) {
  return z
    .string()
    .refine((s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    })
    .meta({ expected: `a URL (${protocols.map((p) => p.replace(':', '')).join(', ')})` });
}

export function ipAddress() {
  return z
    .string()
    .refine((s) => isIP(s) !== 0)
    .meta({ expected: 'an IPv4 or IPv6 address' });
}

export function text() {
  return z.string().min(1).meta({ expected: 'a non-empty string' });
}

export function path() {
  return z.string().min(1).meta({ expected: 'a filesystem path' });
}

/** A JSON object mapping strings to strings, e.g. `{"aa:bb:cc:dd:ee:ff":"snponly.efi"}`. */
export function jsonStringMap() {
  return z
    .string()
    .transform((s, ctx) => {
      try {
        const parsed: unknown = JSON.parse(s);
        const checked = z.record(z.string(), z.string()).safeParse(parsed);
        if (checked.success) return checked.data;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of strings' });
      return z.NEVER;
    })
    .meta({ expected: 'a JSON object of string values' });
}
