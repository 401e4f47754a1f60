import type { BmcErrorCode } from '../drivers/driver.js';

/**
 * Typed IPMI errors. The codes are the power driver's BmcErrorCode so the driver maps them one to one; the IPMI
 * layer itself does not know which BMC operation the caller was performing.
 * Messages never contain the password (it never reaches this module).
 */
export type IpmiErrorCode = BmcErrorCode;

export class IpmiError extends Error {
  override readonly name = 'IpmiError';
  readonly code: IpmiErrorCode;
  /**
   * A datagram of the failed exchange left the socket and no answer came back: the BMC may have acted on it.
   * False when nothing was sent or the BMC answered (a completion code, a refused session).
   */
  readonly unanswered: boolean;

  constructor(code: IpmiErrorCode, message: string, options?: { cause?: unknown; unanswered?: boolean }) {
    super(message, options);
    this.code = code;
    this.unanswered = options?.unanswered ?? false;
  }
}

export function isIpmiError(err: unknown): err is IpmiError {
  return err instanceof IpmiError;
}
