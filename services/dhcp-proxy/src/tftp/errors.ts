// Typed errors of the TFTP area. Decoder problems are values (hostile input is not an exception);
// start-up problems (unreadable IPXE_DIR, bind failure) are thrown as TftpError with a stable code.

/** Why a datagram could not be decoded as a TFTP packet. Stable: used as metric labels and in tests. */
export const DECODE_ERROR_CODES = [
  'too-short', // fewer bytes than the opcode (and block/code) need
  'unknown-opcode', // not 1..6 (RFC 1350 §5, RFC 2347 adds 6)
  'missing-nul', // a string field runs to the end of the datagram without its NUL (RFC 1350 §5)
  'empty-filename',
  'bad-mode', // not netascii / octet / mail (RFC 1350 §5, case-insensitive)
  'option-missing-value', // an option name with no value string (RFC 2347 "Option Format")
  'empty-option-name',
  'duplicate-option', // the same option twice (names compare case-insensitively)
  'bad-option-value', // a known option whose value is not decimal or out of its RFC range
] as const;

export type DecodeErrorCode = (typeof DECODE_ERROR_CODES)[number];

export type DecodeError = {
  readonly code: DecodeErrorCode;
  readonly message: string;
  /** The option concerned, lower-case, for option errors. */
  readonly option?: string;
};

export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const TFTP_ERROR_CODES = [
  'TFTP_IPXE_DIR_UNREADABLE',
  'TFTP_FILES_TOO_LARGE',
  'TFTP_BIND_FAILED',
  'TFTP_ALREADY_STARTED',
  'TFTP_WORKER_FAILED',
] as const;

export type TftpErrorCode = (typeof TFTP_ERROR_CODES)[number];

export class TftpError extends Error {
  override readonly name = 'TftpError';
  readonly code: TftpErrorCode;

  constructor(code: TftpErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
