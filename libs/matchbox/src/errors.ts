// Typed errors of the Matchbox library (STYLE.md 8): stable `code`s, translated to HTTP answers only at the edge.

export const MATCHBOX_ERROR_CODES = [
  'invalid-mac',
  'label-too-long',
  'too-many-labels',
  'bad-query-encoding',
  'template-parse',
  'template-exec',
] as const;
export type MatchboxErrorCode = (typeof MATCHBOX_ERROR_CODES)[number];

/** Base class: every error of this lib carries a stable code. */
export class MatchboxError extends Error {
  override readonly name: string = 'MatchboxError';
  readonly code: MatchboxErrorCode;

  constructor(code: MatchboxErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A query string the label parser refuses (bad MAC, absurd sizes, broken %-encoding). The route answers 400. */
export class LabelError extends MatchboxError {
  override readonly name = 'LabelError';
  /** The query key the problem is about, when there is one. */
  readonly key: string | null;

  constructor(code: MatchboxErrorCode, message: string, key: string | null) {
    super(code, message);
    this.key = key;
  }
}

/** A template that cannot be parsed or executed. `line` is 1-based in the template source. */
export class TemplateError extends MatchboxError {
  override readonly name = 'TemplateError';
  readonly line: number;

  constructor(code: 'template-parse' | 'template-exec', message: string, line: number) {
    super(code, `line ${line}: ${message}`);
    this.line = line;
  }
}
