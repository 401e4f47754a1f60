import type { BootDevice, BootFirmware, PowerState } from '@metalbus/events';

/**
 * One BMC, as the command consumer sees it. Every call takes a deadline (an AbortSignal) and either resolves
 * or rejects with a BmcError; implementations never leak credentials into errors or logs.
 */
export interface PowerDriver {
  /** `ipmi`, `redfish` or `api`: used in metrics and events. */
  readonly kind: DriverKind;
  /** Where the BMC is (host[:port] or URL without credentials), for messages. */
  readonly target: string;
  status(signal: AbortSignal): Promise<PowerState>;
  powerOn(signal: AbortSignal): Promise<void>;
  /** Hard off. */
  powerOff(signal: AbortSignal): Promise<void>;
  /** ACPI soft shutdown request. */
  softOff(signal: AbortSignal): Promise<void>;
  cycle(signal: AbortSignal): Promise<void>;
  reset(signal: AbortSignal): Promise<void>;
  setBootOnce(device: BootDevice, firmware: BootFirmware, signal: AbortSignal): Promise<void>;
  clearBootOverride(signal: AbortSignal): Promise<void>;
  /** Release sessions and sockets. */
  close(): Promise<void>;
}

export type DriverKind = 'ipmi' | 'redfish' | 'api';

export const BMC_ERROR_CODES = [
  'auth-failed',
  'unreachable',
  'unsupported',
  'bmc-busy',
  'timeout',
  'protocol',
] as const;
export type BmcErrorCode = (typeof BMC_ERROR_CODES)[number];

/** Transient errors are retried by the consumer with back-off; the rest fail the command at once. */
export const TRANSIENT_BMC_ERRORS: ReadonlySet<BmcErrorCode> = new Set(['unreachable', 'bmc-busy', 'timeout']);

/**
 * A failed BMC operation: which BMC, which operation, what went wrong. Never carries a password.
 *
 * `unanswered` says whether the BMC may have acted on the request anyway: true when a request left (a datagram was
 * sent, an HTTP request may have been written) and no answer came back; false when nothing was sent (connection
 * refused, name not resolved, session set-up failed) or the BMC answered (busy, refused). A non-idempotent action
 * (cycle, reset) that failed unanswered must never be sent again automatically. When a producer does not say, a
 * `timeout` or `unreachable` is assumed unanswered: the safe side.
 */
export class BmcError extends Error {
  override readonly name = 'BmcError';
  readonly code: BmcErrorCode;
  readonly target: string;
  readonly operation: string;
  readonly detail: string;
  readonly unanswered: boolean;

  constructor(
    code: BmcErrorCode,
    target: string,
    operation: string,
    detail: string,
    options?: { cause?: unknown; unanswered?: boolean },
  ) {
    super(`${operation} on BMC ${target} failed (${code}): ${detail}`, options);
    this.code = code;
    this.target = target;
    this.operation = operation;
    this.detail = detail;
    this.unanswered = options?.unanswered ?? (code === 'timeout' || code === 'unreachable');
  }

  get transient(): boolean {
    return TRANSIENT_BMC_ERRORS.has(this.code);
  }
}

/**
 * The same failure, known to have happened before the request with effects was sent (reads that prepare an action,
 * a login): whatever the transport said about its own request, the action itself never left.
 */
export function beforeSending(err: unknown): unknown {
  if (!(err instanceof BmcError) || !err.unanswered) return err;
  return new BmcError(err.code, err.target, err.operation, err.detail, { cause: err, unanswered: false });
}
