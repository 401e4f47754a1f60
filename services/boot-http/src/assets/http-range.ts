/**
 * `Range` header parsing (RFC 9110 section 14.1.2, 14.2). Pure: header text + representation size in, a value out.
 *
 * Choices (documented in the asset README section):
 * - Only the `bytes` unit is understood (case-insensitive, 14.1); any other unit is ignored → full 200.
 * - A syntactically invalid header is ignored → full 200 (14.2: "MAY ignore").
 * - A header with more than one range is ignored → full 200. We never build multipart/byteranges: boot clients
 *   (iPXE, EDK2, curl resume) only ask for one range, and answering the whole body is always valid (14.2).
 * - One range that cannot be satisfied (first-pos ≥ size, suffix `-0`, or any range of an empty body) → 416.
 */
export type RangeResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'ignored'; readonly reason: 'syntax' | 'unit' | 'multiple' }
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const NONE: RangeResult = { kind: 'none' };
const SPEC = /^(\d*)-(\d*)$/;

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return NONE;
  const eq = header.indexOf('=');
  if (eq < 0) return { kind: 'ignored', reason: 'syntax' };
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'ignored', reason: 'unit' };
  // 14.1.1: ranges-specifier = range-unit "=" range-set; range-set = 1#range-spec (OWS around commas).
  const specs = header
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length === 0) return { kind: 'ignored', reason: 'syntax' };
  if (specs.length > 1) {
    return specs.every((s) => SPEC.test(s))
      ? { kind: 'ignored', reason: 'multiple' }
      : { kind: 'ignored', reason: 'syntax' };
  }
  const m = SPEC.exec(specs[0] ?? '');
  if (m === null) return { kind: 'ignored', reason: 'syntax' };
  const first = m[1] ?? '';
  const last = m[2] ?? '';
  if (first === '' && last === '') return { kind: 'ignored', reason: 'syntax' };
  if (first === '') {
    // suffix-range: the last N bytes; N larger than the body means the whole body (14.1.2).
    const n = toInt(last);
    if (n === null) return { kind: 'ignored', reason: 'syntax' };
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = toInt(first);
  if (start === null) return { kind: 'ignored', reason: 'syntax' };
  let end = size - 1;
  if (last !== '') {
    const e = toInt(last);
    if (e === null || e < start) return { kind: 'ignored', reason: 'syntax' }; // 14.1.2: last-pos < first-pos is invalid
    end = Math.min(e, size - 1);
  }
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', start, end };
}

/** Digits only (the regex checked); a huge value stays a huge float, which the comparisons clamp correctly. */
function toInt(digits: string): number | null {
  const n = Number(digits);
  return Number.isFinite(n) ? n : null;
}

/** `Content-Range` value for a satisfied range (14.4). */
export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/** `Content-Range` value for a 416 (15.5.17). */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}
