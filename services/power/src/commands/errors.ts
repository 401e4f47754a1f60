/**
 * Stable codes of the power service's own failures. Command outcomes carry either one of these or a driver's
 * BmcErrorCode (`auth-failed`, `unreachable`, `unsupported`, `bmc-busy`, `timeout`, `protocol`) in `error.code`.
 */
export const PowerErrorCode = {
  /** No `bmcs` record for the machine. */
  unknownMachine: 'unknown-machine',
  /** The record's password cannot be opened (no key, unknown key id, altered value). */
  credentials: 'credentials',
  /** The BMC never reported the state the action should produce before the command's budget ran out. */
  stateMismatch: 'state-mismatch',
  /**
   * A cycle/reset may or may not have been applied: it was sent and no answer came back (lost reply, connection
   * reset, deadline), or a replica died while sending it. It is never sent again automatically.
   */
  interrupted: 'interrupted',
  /** The command was past its deadline (or older than COMMAND_MAX_AGE_S) when taken. */
  expired: 'expired',
  /** Sealed records exist but BMC_SEAL_KEY is not set (start-up). */
  sealKeyMissing: 'seal-key-missing',
  /** This replica lost the BMC lease while working (stalled past its TTL); the command is handed back. */
  leaseLost: 'lease-lost',
  /** The service is stopping; the command is handed back. */
  stopping: 'stopping',
} as const;
export type PowerErrorCode = (typeof PowerErrorCode)[keyof typeof PowerErrorCode];

export class PowerError extends Error {
  override readonly name = 'PowerError';
  readonly code: PowerErrorCode;
  constructor(code: PowerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
