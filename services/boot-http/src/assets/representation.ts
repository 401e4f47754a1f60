import { evaluatePreconditions, httpDate, ifRangeAllows, type ConditionalHeaders } from './conditional.js';
import { contentRange, parseRange, unsatisfiedRange } from './http-range.js';

/** What we know about a body before sending it; `size` is null only for an upstream body of unknown length. */
export interface Representation {
  readonly size: number | null;
  readonly etag: string | null;
  readonly lastModifiedSec: number | null;
  readonly contentType: string;
  readonly cacheControl: string | null;
}

export interface RequestHeadersView extends ConditionalHeaders {
  readonly method: string;
  readonly range?: string | undefined;
}

export type Decision =
  | { readonly status: 200; readonly headers: Headers; readonly body: BodySlice | null }
  | { readonly status: 206; readonly headers: Headers; readonly body: BodySlice | null; readonly range: string }
  | { readonly status: 304 | 412 | 416; readonly headers: Headers; readonly body: null };

/** Inclusive byte positions; `end` is Infinity when the length is not known yet. */
export interface BodySlice {
  readonly start: number;
  readonly end: number;
}

export type Headers = Readonly<Record<string, string>>;

/**
 * Decide status, headers and body slice for a GET or HEAD of one representation (RFC 9110 sections 13, 14, 15).
 * Pure. HEAD never honours Range (14.2: range handling is defined for GET only) but otherwise mirrors GET.
 */
export function decide(req: RequestHeadersView, rep: Representation): Decision {
  const validators = { etag: rep.etag, lastModifiedSec: rep.lastModifiedSec };
  const common: Record<string, string> = {};
  if (rep.etag !== null) common['etag'] = rep.etag;
  if (rep.lastModifiedSec !== null) common['last-modified'] = httpDate(rep.lastModifiedSec);
  if (rep.cacheControl !== null) common['cache-control'] = rep.cacheControl;

  const pre = evaluatePreconditions(req, validators);
  if (pre === 'not-modified') return { status: 304, headers: common, body: null };
  if (pre === 'failed') return { status: 412, headers: { 'content-length': '0' }, body: null };

  const isHead = req.method === 'HEAD';
  const full = (): Decision => {
    const headers: Record<string, string> = { ...common, 'content-type': rep.contentType };
    if (rep.size !== null) {
      headers['content-length'] = String(rep.size);
      headers['accept-ranges'] = 'bytes';
    }
    const body = isHead || rep.size === 0 ? null : { start: 0, end: rep.size === null ? Infinity : rep.size - 1 };
    return { status: 200, headers, body };
  };

  if (isHead || rep.size === null || req.range === undefined) return full();
  if (!ifRangeAllows(req.ifRange, validators)) return full();
  const r = parseRange(req.range, rep.size);
  switch (r.kind) {
    case 'none':
    case 'ignored':
      return full();
    case 'unsatisfiable':
      return {
        status: 416,
        headers: { ...common, 'content-range': unsatisfiedRange(rep.size), 'content-length': '0' },
        body: null,
      };
    case 'range': {
      const range = contentRange(r.start, r.end, rep.size);
      return {
        status: 206,
        headers: {
          ...common,
          'content-type': rep.contentType,
          'content-length': String(r.end - r.start + 1),
          'content-range': range,
          'accept-ranges': 'bytes',
        },
        body: { start: r.start, end: r.end },
        range,
      };
    }
  }
}
