/**
 * Conditional requests (RFC 9110 section 13). Pure functions over header text and validators.
 */

/** The validators of one representation. `lastModifiedSec` is whole seconds (HTTP dates have no fraction). */
export interface Validators {
  readonly etag: string | null;
  readonly lastModifiedSec: number | null;
}

export interface ConditionalHeaders {
  readonly ifMatch?: string | undefined;
  readonly ifNoneMatch?: string | undefined;
  readonly ifModifiedSince?: string | undefined;
  readonly ifUnmodifiedSince?: string | undefined;
  readonly ifRange?: string | undefined;
}

export type Precondition = 'proceed' | 'not-modified' | 'failed';

/** Strong ETag from size and mtime: stable across replicas that hold the same file with the same mtime. */
export function fileEtag(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/**
 * Evaluation order of 13.2.2: If-Match, else If-Unmodified-Since (→ 412); If-None-Match, else If-Modified-Since
 * (→ 304 for GET/HEAD). Only called for GET and HEAD.
 */
export function evaluatePreconditions(h: ConditionalHeaders, v: Validators): Precondition {
  if (h.ifMatch !== undefined) {
    if (!matchesList(h.ifMatch, v.etag, 'strong')) return 'failed';
  } else if (h.ifUnmodifiedSince !== undefined && v.lastModifiedSec !== null) {
    const since = parseHttpDateSec(h.ifUnmodifiedSince);
    if (since !== null && v.lastModifiedSec > since) return 'failed';
  }
  if (h.ifNoneMatch !== undefined) {
    return matchesList(h.ifNoneMatch, v.etag, 'weak') ? 'not-modified' : 'proceed';
  }
  if (h.ifModifiedSince !== undefined && v.lastModifiedSec !== null) {
    const since = parseHttpDateSec(h.ifModifiedSince);
    if (since !== null && v.lastModifiedSec <= since) return 'not-modified';
  }
  return 'proceed';
}

/**
 * If-Range (13.1.5): the Range applies only when the validator still matches. An entity-tag is compared strongly
 * (a weak tag never matches); a date must equal Last-Modified exactly.
 */
export function ifRangeAllows(ifRange: string | undefined, v: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/"')) {
    return v.etag !== null && !value.startsWith('W/') && !v.etag.startsWith('W/') && value === v.etag;
  }
  const date = parseHttpDateSec(value);
  return date !== null && v.lastModifiedSec !== null && date === v.lastModifiedSec;
}

/** `*` or a comma list of entity-tags; weak comparison ignores the `W/` prefix (8.8.3.2). */
function matchesList(header: string, etag: string | null, mode: 'strong' | 'weak'): boolean {
  if (etag === null) return false;
  const trimmed = header.trim();
  if (trimmed === '*') return true;
  const mine = mode === 'weak' ? opaque(etag) : etag;
  if (mode === 'strong' && etag.startsWith('W/')) return false;
  for (const raw of trimmed.split(',')) {
    const tag = raw.trim();
    if (tag === '') continue;
    if (mode === 'strong') {
      if (!tag.startsWith('W/') && tag === mine) return true;
    } else if (opaque(tag) === mine) {
      return true;
    }
  }
  return false;
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** HTTP-date (5.6.7; IMF-fixdate and the obsolete forms Date.parse understands) → whole seconds, or null. */
export function parseHttpDateSec(text: string): number | null {
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

export function httpDate(sec: number): string {
  return new Date(sec * 1000).toUTCString();
}
