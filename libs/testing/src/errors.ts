/** Stable codes of test-harness errors. */
export const TestingErrorCode = {
  natsMissing: 'nats-server-missing',
  natsStart: 'nats-start-failed',
  restartUnsupported: 'restart-unsupported',
  timeout: 'wait-timeout',
  spawn: 'spawn-failed',
} as const;
export type TestingErrorCode = (typeof TestingErrorCode)[keyof typeof TestingErrorCode];

export class TestingError extends Error {
  override readonly name = 'TestingError';
  readonly code: TestingErrorCode;
  constructor(code: TestingErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
