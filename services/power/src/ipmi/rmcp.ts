import { type Decoded, fail, ok } from './result.js';

/**
 * RMCP header (DMTF ASF 2.0 section 3.2.2.2; IPMI v2.0 section 13.1.3): version 0x06, reserved, sequence 0xFF
 * ("no RMCP ACK", which IPMI always uses), class (0x06 ASF, 0x07 IPMI; bit 7 set means an RMCP ACK).
 */
export const RMCP_VERSION = 0x06;
export const RMCP_NO_ACK_SEQUENCE = 0xff;
export const RMCP_CLASS = { asf: 0x06, ipmi: 0x07 } as const;
export type RmcpClass = (typeof RMCP_CLASS)[keyof typeof RMCP_CLASS];
export const RMCP_HEADER_LENGTH = 4;

/** ASF IANA enterprise number (4542) and message types (ASF 2.0 section 3.2.4.1). */
const ASF_IANA = 4542;
const ASF_PRESENCE_PING = 0x80;
const ASF_PRESENCE_PONG = 0x40;

export function encodeRmcpHeader(cls: RmcpClass): Buffer {
  return Buffer.from([RMCP_VERSION, 0x00, RMCP_NO_ACK_SEQUENCE, cls]);
}

export interface RmcpFrame {
  readonly cls: number;
  readonly body: Buffer;
}

export function decodeRmcp(datagram: Buffer): Decoded<RmcpFrame> {
  if (datagram.length < RMCP_HEADER_LENGTH) return fail('rmcp: shorter than the 4-byte header');
  if (datagram[0] !== RMCP_VERSION) return fail(`rmcp: version 0x${hex(datagram[0])} is not 0x06`);
  const cls = datagram[3] ?? 0;
  if ((cls & 0x80) !== 0) return fail('rmcp: ACK frames are not used by IPMI');
  return ok({ cls, body: datagram.subarray(RMCP_HEADER_LENGTH) });
}

/** ASF Presence Ping (ASF 2.0 section 3.2.4.3): a session-less "is an RMCP endpoint there" probe. */
export function encodeAsfPing(tag: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(ASF_IANA, 0);
  body[4] = ASF_PRESENCE_PING;
  body[5] = tag & 0xff;
  body[6] = 0x00; // reserved
  body[7] = 0x00; // data length
  return Buffer.concat([encodeRmcpHeader(RMCP_CLASS.asf), body]);
}

export interface AsfPong {
  readonly tag: number;
  /** Supported Interactions byte 0 bit 7 (ASF 2.0 table 29): the endpoint speaks IPMI. */
  readonly supportsIpmi: boolean;
}

export function decodeAsfPong(datagram: Buffer): Decoded<AsfPong> {
  const frame = decodeRmcp(datagram);
  if (!frame.ok) return frame;
  const { cls, body } = frame.value;
  if (cls !== RMCP_CLASS.asf) return fail('asf: not an ASF-class RMCP frame');
  if (body.length < 8 + 16) return fail('asf: pong shorter than 24 bytes');
  if (body.readUInt32BE(0) !== ASF_IANA) return fail('asf: IANA number is not 4542');
  if (body[4] !== ASF_PRESENCE_PONG) return fail('asf: message type is not Presence Pong');
  const entities = body[8 + 8] ?? 0;
  return ok({ tag: body[5] ?? 0, supportsIpmi: (entities & 0x80) !== 0 });
}

function hex(n: number | undefined): string {
  return (n ?? 0).toString(16).padStart(2, '0');
}
