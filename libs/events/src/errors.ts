import type { z } from 'zod';

/** A payload that does not match its schema. `field` is the dotted path of the first offending field. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  readonly code = 'invalid-event';
  readonly field: string;
  readonly issues: readonly { path: string; message: string }[];

  constructor(what: string, issues: readonly z.core.$ZodIssue[], options?: { cause?: unknown }) {
    const mapped = issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    const first = mapped[0] ?? { path: '(root)', message: 'invalid' };
    super(`${what}: field "${first.path}": ${first.message}`, options);
    this.field = first.path;
    this.issues = mapped;
  }
}

/** A subject that is not one of ours (wrong shape, unknown kind, bad machine id). */
export class SubjectError extends Error {
  override readonly name = 'SubjectError';
  readonly code = 'invalid-subject';
}
