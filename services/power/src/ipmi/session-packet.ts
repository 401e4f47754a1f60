import { createHmac } from 'node:crypto';
import type { CipherSuite } from './cipher-suites.js';
import { decryptPayload, encryptPayload } from './confidentiality.js';
import { macEquals } from './keys.js';
import { type Decoded, fail, ok } from './result.js';
import { RMCP_CLASS, decodeRmcp, encodeRmcpHeader } from './rmcp.js';

/**
 * IPMI session wrappers inside an RMCP/IPMI-class frame.
 *
 * v1.5 (section 13.6, table 13-8), used here only session-less (auth type NONE) for the pre-session Get Channel
 * Authentication Capabilities, as ipmitool's lanplus interface does:
 *   authType 0x00 | seq u32 | session id u32 | length u8 | message
 * v2.0 / RMCP+ (section 13.6, table 13-8):
 *   authType 0x06 | payload type (bit 7 encrypted, bit 6 authenticated) | session id u32le | seq u32le |
 *   length u16le | payload | [integrity pad 0xFF… | pad length | next header 0x07 | AuthCode]
 * The integrity pad makes authType … next header a multiple of 4 bytes; AuthCode = HMAC_K1 over that span,
 * truncated per integrity algorithm (section 13.28.4).
 */
export const AUTH_TYPE = { none: 0x00, md2: 0x01, md5: 0x02, straight: 0x04, oem: 0x05, rmcpPlus: 0x06 } as const;

export const PAYLOAD_TYPE = {
  ipmi: 0x00,
  openSessionRequest: 0x10,
  openSessionResponse: 0x11,
  rakp1: 0x12,
  rakp2: 0x13,
  rakp3: 0x14,
  rakp4: 0x15,
} as const;

const PAYLOAD_ENCRYPTED = 0x80;
const PAYLOAD_AUTHENTICATED = 0x40;
const NEXT_HEADER = 0x07;
const V2_HEADER = 12; // authType … length
const OEM_EXPLICIT = 0x02;

/** What an established session protects its packets with. */
export interface SessionSecurity {
  readonly suite: CipherSuite;
  readonly k1: Buffer;
  readonly aesKey: Buffer;
}

export function encodeV15Packet(message: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header[0] = AUTH_TYPE.none; // sequence and session id stay 0: no session yet
  header[9] = message.length;
  return Buffer.concat([encodeRmcpHeader(RMCP_CLASS.ipmi), header, message]);
}

export interface V2PacketInput {
  readonly payloadType: number;
  readonly sessionId: number;
  readonly sequence: number;
  readonly payload: Buffer;
  /** Present once the session is active: the payload is then encrypted (with this packet's random IV) and authenticated. */
  readonly protection?: { readonly security: SessionSecurity; readonly iv: Buffer };
}

export function encodeV2Packet(input: V2PacketInput): Buffer {
  const security = input.protection?.security;
  const payload = input.protection
    ? encryptPayload(input.protection.security.aesKey, input.protection.iv, input.payload)
    : input.payload;
  const header = Buffer.alloc(V2_HEADER);
  header[0] = AUTH_TYPE.rmcpPlus;
  header[1] = (input.payloadType & 0x3f) | (security ? PAYLOAD_ENCRYPTED | PAYLOAD_AUTHENTICATED : 0);
  header.writeUInt32LE(input.sessionId >>> 0, 2);
  header.writeUInt32LE(input.sequence >>> 0, 6);
  header.writeUInt16LE(payload.length, 10);
  if (!security) return Buffer.concat([encodeRmcpHeader(RMCP_CLASS.ipmi), header, payload]);
  const padLength = (4 - ((V2_HEADER + payload.length + 2) % 4)) % 4;
  const trailer = Buffer.alloc(padLength + 2, 0xff);
  trailer[padLength] = padLength;
  trailer[padLength + 1] = NEXT_HEADER;
  const covered = Buffer.concat([header, payload, trailer]);
  const authCode = integrityAuthCode(security, covered);
  return Buffer.concat([encodeRmcpHeader(RMCP_CLASS.ipmi), covered, authCode]);
}

export function integrityAuthCode(security: SessionSecurity, covered: Buffer): Buffer {
  const { suite } = security;
  return createHmac(suite.hash, security.k1).update(covered).digest().subarray(0, suite.authCodeLength);
}

export type SessionPacket =
  | { readonly kind: 'v15'; readonly sessionId: number; readonly sequence: number; readonly message: Buffer }
  | {
      readonly kind: 'v2';
      readonly payloadType: number;
      readonly encrypted: boolean;
      readonly authenticated: boolean;
      readonly sessionId: number;
      readonly sequence: number;
      /** Cleartext payload: decrypted and integrity-checked when the packet said so. */
      readonly payload: Buffer;
    };

export function decodeSessionPacket(datagram: Buffer, security?: SessionSecurity): Decoded<SessionPacket> {
  const frame = decodeRmcp(datagram);
  if (!frame.ok) return frame;
  if (frame.value.cls !== RMCP_CLASS.ipmi) return fail('session: not an IPMI-class RMCP frame');
  const body = frame.value.body;
  if (body.length < 1) return fail('session: empty');
  return body[0] === AUTH_TYPE.rmcpPlus ? decodeV2(body, security) : decodeV15(body);
}

function decodeV15(body: Buffer): Decoded<SessionPacket> {
  const authType = body[0] ?? 0;
  // A v1.5 header carries a 16-byte AuthCode for every auth type but NONE (table 13-8).
  const authCodeLength = authType === AUTH_TYPE.none ? 0 : 16;
  const lengthAt = 9 + authCodeLength;
  if (body.length < lengthAt + 1) return fail('session v1.5: header truncated');
  const length = body[lengthAt] ?? 0;
  if (body.length < lengthAt + 1 + length) return fail('session v1.5: message shorter than its length byte');
  return ok({
    kind: 'v15',
    sequence: body.readUInt32LE(1),
    sessionId: body.readUInt32LE(5),
    message: body.subarray(lengthAt + 1, lengthAt + 1 + length),
  });
}

function decodeV2(body: Buffer, security?: SessionSecurity): Decoded<SessionPacket> {
  if (body.length < V2_HEADER) return fail('session v2: header truncated');
  const typeByte = body[1] ?? 0;
  const payloadType = typeByte & 0x3f;
  if (payloadType === OEM_EXPLICIT) return fail('session v2: OEM explicit payloads are not supported');
  const encrypted = (typeByte & PAYLOAD_ENCRYPTED) !== 0;
  const authenticated = (typeByte & PAYLOAD_AUTHENTICATED) !== 0;
  const length = body.readUInt16LE(10);
  const end = V2_HEADER + length;
  if (body.length < end) return fail('session v2: payload shorter than its length field');
  if ((encrypted || authenticated) && !security) return fail('session v2: protected payload outside an active session');
  if (authenticated && security) {
    const codeLength = security.suite.authCodeLength;
    const coveredEnd = body.length - codeLength;
    if (coveredEnd < end + 2) return fail('session v2: integrity trailer truncated');
    if (body[coveredEnd - 1] !== NEXT_HEADER) return fail('session v2: next header is not 0x07');
    const expected = integrityAuthCode(security, body.subarray(0, coveredEnd));
    if (!macEquals(expected, body.subarray(coveredEnd))) return fail('session v2: integrity check failed');
  }
  let payload = body.subarray(V2_HEADER, end);
  if (encrypted && security) {
    const clear = decryptPayload(security.aesKey, payload);
    if (!clear.ok) return clear;
    payload = clear.value;
  }
  return ok({
    kind: 'v2',
    payloadType,
    encrypted,
    authenticated,
    sessionId: body.readUInt32LE(2),
    sequence: body.readUInt32LE(6),
    payload,
  });
}
