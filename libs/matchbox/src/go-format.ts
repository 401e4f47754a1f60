import { compareBytes } from './select.js';

// How Go's fmt prints the values that encoding/json decodes into `interface{}` (what Matchbox renders in
// templates and /metadata): strings as-is, numbers as float64 `%v`, `[a b]` for arrays, `map[k:v]` for objects with
// sorted keys, `<nil>` for null inside a composite. A bare null printed by a template action is `<no value>`.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Go `fmt.Sprint(v)` of a decoded JSON value. */
export function goSprint(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return goFloat(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (Array.isArray(value)) return `[${value.map(goSprint).join(' ')}]`;
      return `map[${Object.keys(value)
        .sort(compareBytes)
        .map((k) => `${k}:${goSprint((value as Record<string, unknown>)[k])}`)
        .join(' ')}]`;
    default:
      return String(value);
  }
}

/**
 * Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest digits that round-trip, in `%e`
 * form when the decimal exponent is < -4 or >= 6 (so 1000000 prints `1e+06`, 123456 prints `123456`).
 */
export function goFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest round-trip digits, like Go's shortest mode.
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  // In this range JS prints plain decimal notation with the same shortest digits.
  return String(x);
}
