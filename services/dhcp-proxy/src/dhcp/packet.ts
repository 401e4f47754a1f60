// The decoded shape of a DHCPv4 message (RFC 2131 §2). Both the decoder's output and the encoder's input.
// Byte values (`Uint8Array`) produced by the decoder are views into the datagram: do not mutate it afterwards.

/** An option the codec keeps as opaque bytes (code + data, RFC 2132 §2). */
export interface RawOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** PXE sub-option 8 entry: a boot server type and its addresses (PXE 2.1 §2.4.1). */
export interface PxeBootServer {
  readonly type: number;
  readonly addresses: readonly string[];
}

/** PXE sub-option 9 entry: a boot menu item (PXE 2.1 §2.4.1). */
export interface PxeMenuItem {
  readonly type: number;
  readonly description: string;
}

/** Option 43 read as PXE vendor sub-options (PXE 2.1 §2.4.1). */
export interface PxeVendorOptions {
  readonly kind: 'pxe';
  readonly discoveryControl?: number; // 6
  readonly bootServers?: readonly PxeBootServer[]; // 8
  readonly bootMenu?: readonly PxeMenuItem[]; // 9
  readonly menuPrompt?: { readonly timeout: number; readonly prompt: string }; // 10
  readonly bootItem?: { readonly type: number; readonly layer: number }; // 71
  /** Other sub-options, in wire order. */
  readonly other?: readonly RawOption[];
}

/** Option 43 whose bytes are not well-formed PXE sub-options (another vendor's data): kept as is. */
export interface RawVendorOptions {
  readonly kind: 'raw';
  readonly data: Uint8Array;
}

/** Option 77: RFC 3004 length-prefixed classes, or iPXE's raw text (`format: 'raw'`, one class). */
export interface UserClass {
  readonly format: 'rfc3004' | 'raw';
  readonly classes: readonly string[];
}

/** Option 175 (iPXE): encapsulated sub-options, or raw bytes when they are not well formed. */
export type IpxeOptions =
  | { readonly kind: 'encapsulated'; readonly options: readonly RawOption[] }
  | { readonly kind: 'raw'; readonly data: Uint8Array };

/** Options with a typed reading. Anything else is in `other`. Text is latin1 (one char per byte). */
export interface DhcpOptions {
  readonly messageType?: number; // 53
  readonly serverId?: string; // 54
  readonly requestedIp?: string; // 50
  readonly parameterList?: Uint8Array; // 55
  readonly maxMessageSize?: number; // 57
  readonly vendorClass?: string; // 60
  readonly clientId?: Uint8Array; // 61
  readonly tftpServer?: string; // 66
  readonly bootFile?: string; // 67
  readonly vendor?: PxeVendorOptions | RawVendorOptions; // 43
  readonly userClass?: UserClass; // 77
  readonly relayAgent?: Uint8Array; // 82, opaque: echoed, never interpreted (RFC 3046 §2.2)
  readonly clientArch?: readonly number[]; // 93
  readonly clientNdi?: { readonly type: number; readonly major: number; readonly minor: number }; // 94
  readonly clientMachineId?: { readonly type: number; readonly id: Uint8Array }; // 97
  readonly ipxe?: IpxeOptions; // 175
  /** Options without a typed reading, in order of first appearance, one entry per code. */
  readonly other: readonly RawOption[];
}

export interface DhcpPacket {
  readonly op: number;
  readonly htype: number;
  readonly hlen: number;
  readonly hops: number;
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: string;
  readonly yiaddr: string;
  readonly siaddr: string;
  readonly giaddr: string;
  /** The whole 16-byte field; the hardware address is its first `hlen` bytes. */
  readonly chaddr: Uint8Array;
  /** Text up to the first NUL; empty when option 52 says the field holds options. */
  readonly sname: string;
  readonly file: string;
  readonly options: DhcpOptions;
}

export const ZERO_IP = '0.0.0.0';
export const BROADCAST_IP = '255.255.255.255';
