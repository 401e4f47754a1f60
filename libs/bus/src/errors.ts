/** Stable codes of bus errors; callers switch on `code`, never on the message. */
export const BusErrorCode = {
  invalidNamespace: 'invalid-namespace',
  invalidConfig: 'invalid-bus-config',
  provision: 'provision-failed',
  consumerConfig: 'consumer-config-conflict',
  viewStopped: 'view-stopped',
  closed: 'bus-closed',
} as const;
export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode];

export class BusError extends Error {
  override readonly name = 'BusError';
  readonly code: BusErrorCode;
  constructor(code: BusErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
