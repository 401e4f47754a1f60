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

/** A failed BMC operation: which BMC, which operation, what went wrong. Never carries a password. */
export class BmcError extends Error {
  override readonly name = 'BmcError';
  readonly code: BmcErrorCode;
  readonly target: string;
  readonly operation: string;

  constructor(code: BmcErrorCode, target: string, operation: string, detail: string, options?: { cause?: unknown }) {
    super(`${operation} on BMC ${target} failed (${code}): ${detail}`, options);
    this.code = code;
    this.target = target;
    this.operation = operation;
  }

  get transient(): boolean {
    return TRANSIENT_BMC_ERRORS.has(this.code);
  }
}
