import { canonicalUuid, normalizeMac } from '@metalbus/events';
import { LabelError } from './errors.js';

// Labels are what a machine tells us in the query string (Matchbox `labelsFromRequest`): reserved `mac`, `uuid`,
// `hostname`, `serial`, plus any other key verbatim. Keys keep their case, as in Matchbox (a selector `mac` matches
// the query key `mac` only). Differences from Matchbox, on purpose:
// - an unparseable MAC is refused (LabelError `invalid-mac`, HTTP 400) instead of being dropped silently;
// - a `uuid` value is lower-cased (selectors are too), so `A1B2…` and `a1b2…` select the same group;
// - absurd sizes and broken %-escapes are refused with a reason instead of being dropped.

/** Labels of one request: a null-prototype record, so no key can reach Object.prototype. */
export type Labels = Readonly<Record<string, string>>;

export type LabelLimits = {
  /** Most distinct keys accepted. */
  maxLabels: number;
  /** Most `k=v` pairs accepted (repeated keys count). */
  maxPairs: number;
  maxKeyLength: number;
  maxValueLength: number;
  maxQueryLength: number;
};

export const DEFAULT_LABEL_LIMITS: LabelLimits = Object.freeze({
  maxLabels: 32,
  maxPairs: 64,
  maxKeyLength: 64,
  maxValueLength: 256,
  maxQueryLength: 8192,
});

export type ParsedLabels = { labels: Labels; rawQuery: string };
export type LabelResult = { ok: true; value: ParsedLabels } | { ok: false; error: LabelError };

/** The query part of a request URL (`/ipxe?a=b` → `a=b`), without a fragment. */
export function rawQueryOf(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return '';
  const rest = url.slice(q + 1);
  const hash = rest.indexOf('#');
  return hash < 0 ? rest : rest.slice(0, hash);
}

/** Parse a raw query string into labels. Multi-valued keys keep the first value. Never throws. */
export function parseLabels(rawQuery: string, limits: LabelLimits = DEFAULT_LABEL_LIMITS): LabelResult {
  if (rawQuery.length > limits.maxQueryLength) {
    return fail('label-too-long', `query string is longer than ${limits.maxQueryLength} characters`, null);
  }
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  let count = 0;
  let pairs = 0;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    if (++pairs > limits.maxPairs)
      return fail('too-many-labels', `more than ${limits.maxPairs} query parameters`, null);
    const eq = part.indexOf('=');
    const key = unescapeQuery(eq < 0 ? part : part.slice(0, eq));
    const value = unescapeQuery(eq < 0 ? '' : part.slice(eq + 1));
    if (key === null || value === null)
      return fail('bad-query-encoding', `bad %-escape in ${JSON.stringify(part)}`, null);
    if (key.length > limits.maxKeyLength)
      return fail('label-too-long', `a query key is longer than ${limits.maxKeyLength} characters`, null);
    if (value.length > limits.maxValueLength) {
      return fail('label-too-long', `value of "${key}" is longer than ${limits.maxValueLength} characters`, key);
    }
    if (Object.hasOwn(labels, key)) continue;
    if (++count > limits.maxLabels) return fail('too-many-labels', `more than ${limits.maxLabels} labels`, null);
    const normalized = normalizeLabel(key, value);
    if (normalized === null) return fail('invalid-mac', `"${key}" is not a MAC address: ${JSON.stringify(value)}`, key);
    labels[key] = normalized;
  }
  return { ok: true, value: { labels, rawQuery } };
}

/**
 * The request without some keys, in both its labels and its raw query (which templates see as
 * `request.raw_query`): for query parameters that are the server's own business, not the machine's labels.
 */
export function omitLabels(parsed: ParsedLabels, keys: readonly string[]): ParsedLabels {
  if (!keys.some((key) => Object.hasOwn(parsed.labels, key))) return parsed;
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(parsed.labels)) if (!keys.includes(key)) labels[key] = value;
  const rawQuery = parsed.rawQuery
    .split('&')
    .filter((part) => {
      const eq = part.indexOf('=');
      const key = unescapeQuery(eq < 0 ? part : part.slice(0, eq));
      return key === null || !keys.includes(key);
    })
    .join('&');
  return { labels, rawQuery };
}

/**
 * The normalised value of a reserved label (also used for group selectors, so both sides compare equal):
 * `mac` → lower-case colon form (null when invalid), `uuid` → lower case (canonical form when it is a UUID).
 */
export function normalizeLabel(key: string, value: string): string | null {
  switch (key.toLowerCase()) {
    case 'mac':
      return normalizeMac(value);
    case 'uuid':
      return canonicalUuid(value) ?? value.toLowerCase();
    default:
      return value;
  }
}

function fail(code: LabelError['code'], message: string, key: string | null): LabelResult {
  return { ok: false, error: new LabelError(code, message, key) };
}

/** application/x-www-form-urlencoded unescaping as Go's url.QueryUnescape: `+` is a space; null on a bad escape. */
function unescapeQuery(text: string): string | null {
  if (!text.includes('%') && !text.includes('+')) return text;
  const chunks: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x25 /* % */ && c !== 0x2b /* + */) continue;
    chunks.push(Buffer.from(text.slice(run, i), 'utf8'));
    if (c === 0x2b) {
      chunks.push(Buffer.of(0x20));
      run = i + 1;
      continue;
    }
    const hex = text.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    chunks.push(Buffer.of(parseInt(hex, 16)));
    i += 2;
    run = i + 1;
  }
  chunks.push(Buffer.from(text.slice(run), 'utf8'));
  return Buffer.concat(chunks).toString('utf8');
}
