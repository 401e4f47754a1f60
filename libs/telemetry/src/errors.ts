/** Stable codes of telemetry errors; callers switch on `code`, never on the message. */
export const TelemetryErrorCode = {
  opsListen: 'ops-listen-failed',
} as const;
export type TelemetryErrorCode = (typeof TelemetryErrorCode)[keyof typeof TelemetryErrorCode];

export class OpsServerError extends Error {
  override readonly name = 'OpsServerError';
  readonly code: TelemetryErrorCode = TelemetryErrorCode.opsListen;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
