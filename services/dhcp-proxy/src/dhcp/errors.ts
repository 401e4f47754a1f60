// Typed errors of the DHCP area. Codes are stable: they label metrics and are matched by tests.

/** Why a datagram is not a DHCP message we can read. */
export const DhcpDecodeErrorCodes = [
  'truncated-header', // shorter than the 236-byte BOOTP header + 4-byte cookie (RFC 2131 §2)
  'bad-op', // op is neither BOOTREQUEST nor BOOTREPLY (RFC 951 §3)
  'bad-hlen', // hardware address longer than the 16-byte chaddr field (RFC 2131 §2)
  'bad-cookie', // no DHCP magic cookie at offset 236 (RFC 2131 §3)
  'option-overrun', // an option's length byte or data runs past the end of its field (RFC 2132 §2)
  'bad-option-length', // a fixed-size option has the wrong length (e.g. 53 ≠ 1, 54 ≠ 4, 93 odd)
  'overload-loop', // option 52 found inside the sname/file fields it overloads (RFC 2131 §4.1)
  'bad-overload', // option 52 with a value other than 1, 2 or 3 (RFC 2132 §9.3)
] as const;

export type DhcpDecodeErrorCode = (typeof DhcpDecodeErrorCodes)[number];

export class DhcpDecodeError extends Error {
  override readonly name = 'DhcpDecodeError';
  readonly code: DhcpDecodeErrorCode;
  /** Byte offset in the datagram where the problem was found. */
  readonly offset: number;
  /** The option code involved, when there is one. */
  readonly option: number | null;

  constructor(code: DhcpDecodeErrorCode, message: string, offset: number, option: number | null = null) {
    super(message);
    this.code = code;
    this.offset = offset;
    this.option = option;
  }
}

export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** Why a DHCP server could not start. */
export const DhcpServerErrorCodes = ['no-server-address', 'bind-failed'] as const;
export type DhcpServerErrorCode = (typeof DhcpServerErrorCodes)[number];

export class DhcpServerError extends Error {
  override readonly name = 'DhcpServerError';
  readonly code: DhcpServerErrorCode;

  constructor(code: DhcpServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
