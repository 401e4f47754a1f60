/** Stable codes of harness errors; tests and callers switch on `code`, never on the message. */
export const E2eErrorCode = {
  commandFailed: 'command-failed',
  childExited: 'child-exited',
  timeout: 'timeout',
  noFreeSubnet: 'no-free-subnet',
  badConfig: 'invalid-config',
} as const;
export type E2eErrorCode = (typeof E2eErrorCode)[keyof typeof E2eErrorCode];

/**
 * Every harness failure. `detail` carries what a human needs to see why (a command's stderr, the tail of a serial
 * log), so a failing scenario explains itself without re-running it.
 */
export class E2eError extends Error {
  override readonly name = 'E2eError';
  readonly code: E2eErrorCode;
  readonly detail: string;

  constructor(code: E2eErrorCode, message: string, detail = '', options?: ErrorOptions) {
    super(detail ? `${message}\n${detail}` : message, options);
    this.code = code;
    this.detail = detail;
  }
}
