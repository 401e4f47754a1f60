import type { CipherSuite } from './cipher-suites.js';
import { type Decoded, fail, ok } from './result.js';

/**
 * RMCP+ session establishment payloads (IPMI v2.0 sections 13.17–13.23). All multi-byte integers little-endian.
 */

/** RMCP+ status codes (section 13.24, table 13-15). */
export const RMCP_STATUS = {
  ok: 0x00,
  insufficientResources: 0x01,
  invalidSessionId: 0x02,
  invalidPayloadType: 0x03,
  invalidAuthAlgorithm: 0x04,
  invalidIntegrityAlgorithm: 0x05,
  noMatchingAuthPayload: 0x06,
  noMatchingIntegrityPayload: 0x07,
  inactiveSessionId: 0x08,
  invalidRole: 0x09,
  unauthorizedRole: 0x0a,
  insufficientResourcesForRole: 0x0b,
  invalidNameLength: 0x0c,
  unauthorizedName: 0x0d,
  unauthorizedGuid: 0x0e,
  invalidIntegrityCheckValue: 0x0f,
  invalidConfidentialityAlgorithm: 0x10,
  noCipherSuiteMatch: 0x11,
  illegalParameter: 0x12,
} as const;

const STATUS_TEXT: Readonly<Record<number, string>> = {
  0x01: 'insufficient resources to create a session',
  0x02: 'invalid session ID',
  0x03: 'invalid payload type',
  0x04: 'invalid authentication algorithm',
  0x05: 'invalid integrity algorithm',
  0x06: 'no matching authentication payload',
  0x07: 'no matching integrity payload',
  0x08: 'inactive session ID',
  0x09: 'invalid role',
  0x0a: 'unauthorized role or privilege level requested',
  0x0b: 'insufficient resources to create a session at the requested role',
  0x0c: 'invalid name length',
  0x0d: 'unauthorized name',
  0x0e: 'unauthorized GUID',
  0x0f: 'invalid integrity check value',
  0x10: 'invalid confidentiality algorithm',
  0x11: 'no cipher suite match with proposed security algorithms',
  0x12: 'illegal or unrecognized parameter',
};

export function rmcpStatusText(status: number): string {
  return STATUS_TEXT[status] ?? `RMCP+ status 0x${status.toString(16).padStart(2, '0')}`;
}

/** Bit 4 of the RAKP 1 role byte: look the user up by name only (as ipmitool does), not by name and privilege. */
export const ROLE_NAME_ONLY_LOOKUP = 0x10;

/** Open Session Request (section 13.17, table 13-9): tag, max privilege, console session id, three algorithm payloads. */
export function encodeOpenSessionRequest(
  tag: number,
  maxPrivilege: number,
  consoleSessionId: number,
  suite: CipherSuite,
): Buffer {
  const out = Buffer.alloc(32);
  out[0] = tag;
  out[1] = maxPrivilege; // 0 = "highest level matching the proposed algorithms", what ipmitool sends
  out.writeUInt32LE(consoleSessionId >>> 0, 4);
  writeAlgorithm(out, 8, 0x00, suite.authAlgorithm);
  writeAlgorithm(out, 16, 0x01, suite.integrityAlgorithm);
  writeAlgorithm(out, 24, 0x02, suite.confidentialityAlgorithm);
  return out;
}

function writeAlgorithm(out: Buffer, at: number, payloadType: number, algorithm: number): void {
  out[at] = payloadType;
  out[at + 3] = 0x08; // payload length
  out[at + 4] = algorithm;
}

export interface OpenSessionResponse {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  /** Present when status is 0. */
  readonly bmcSessionId: number;
  readonly authAlgorithm: number;
  readonly integrityAlgorithm: number;
  readonly confidentialityAlgorithm: number;
}

/** Open Session Response (section 13.18, table 13-10). On error BMCs may send only tag and status (ipmi_sim does). */
export function decodeOpenSessionResponse(payload: Buffer): Decoded<OpenSessionResponse> {
  if (payload.length < 2) return fail('open session response: shorter than 2 bytes');
  const tag = payload[0] ?? 0;
  const status = payload[1] ?? 0;
  if (status !== RMCP_STATUS.ok) {
    const consoleSessionId = payload.length >= 8 ? payload.readUInt32LE(4) : 0;
    return ok({
      tag,
      status,
      consoleSessionId,
      bmcSessionId: 0,
      authAlgorithm: 0,
      integrityAlgorithm: 0,
      confidentialityAlgorithm: 0,
    });
  }
  if (payload.length < 36) return fail(`open session response: ${payload.length} bytes, 36 expected`);
  return ok({
    tag,
    status,
    consoleSessionId: payload.readUInt32LE(4),
    bmcSessionId: payload.readUInt32LE(8),
    authAlgorithm: (payload[16] ?? 0) & 0x3f,
    integrityAlgorithm: (payload[24] ?? 0) & 0x3f,
    confidentialityAlgorithm: (payload[32] ?? 0) & 0x3f,
  });
}

/** RAKP Message 1 (section 13.20, table 13-11). */
export function encodeRakp1(
  tag: number,
  bmcSessionId: number,
  consoleRandom: Buffer,
  role: number,
  username: Buffer,
): Buffer {
  const out = Buffer.alloc(28 + username.length);
  out[0] = tag;
  out.writeUInt32LE(bmcSessionId >>> 0, 4);
  consoleRandom.copy(out, 8, 0, 16);
  out[24] = role;
  out[27] = username.length;
  username.copy(out, 28);
  return out;
}

export interface Rakp2 {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  readonly bmcRandom: Buffer;
  readonly bmcGuid: Buffer;
  readonly authCode: Buffer;
}

/** RAKP Message 2 (section 13.21, table 13-12). */
export function decodeRakp2(payload: Buffer, suite: CipherSuite): Decoded<Rakp2> {
  if (payload.length < 2) return fail('rakp2: shorter than 2 bytes');
  const tag = payload[0] ?? 0;
  const status = payload[1] ?? 0;
  const consoleSessionId = payload.length >= 8 ? payload.readUInt32LE(4) : 0;
  const empty = Buffer.alloc(0);
  if (status !== RMCP_STATUS.ok)
    return ok({ tag, status, consoleSessionId, bmcRandom: empty, bmcGuid: empty, authCode: empty });
  const want = 40 + suite.rakpAuthCodeLength;
  if (payload.length < want) return fail(`rakp2: ${payload.length} bytes, ${want} expected`);
  return ok({
    tag,
    status,
    consoleSessionId,
    bmcRandom: Buffer.from(payload.subarray(8, 24)),
    bmcGuid: Buffer.from(payload.subarray(24, 40)),
    authCode: Buffer.from(payload.subarray(40, want)),
  });
}

/** RAKP Message 3 (section 13.22, table 13-13); a non-zero status tells the BMC to drop the half-open session. */
export function encodeRakp3(tag: number, status: number, bmcSessionId: number, authCode: Buffer): Buffer {
  const out = Buffer.alloc(8 + (status === RMCP_STATUS.ok ? authCode.length : 0));
  out[0] = tag;
  out[1] = status;
  out.writeUInt32LE(bmcSessionId >>> 0, 4);
  if (status === RMCP_STATUS.ok) authCode.copy(out, 8);
  return out;
}

export interface Rakp4 {
  readonly tag: number;
  readonly status: number;
  readonly consoleSessionId: number;
  readonly icv: Buffer;
}

/** RAKP Message 4 (section 13.23, table 13-14). */
export function decodeRakp4(payload: Buffer, suite: CipherSuite): Decoded<Rakp4> {
  if (payload.length < 2) return fail('rakp4: shorter than 2 bytes');
  const tag = payload[0] ?? 0;
  const status = payload[1] ?? 0;
  const consoleSessionId = payload.length >= 8 ? payload.readUInt32LE(4) : 0;
  if (status !== RMCP_STATUS.ok) return ok({ tag, status, consoleSessionId, icv: Buffer.alloc(0) });
  const want = 8 + suite.rakp4IcvLength;
  if (payload.length < want) return fail(`rakp4: ${payload.length} bytes, ${want} expected`);
  return ok({ tag, status, consoleSessionId, icv: Buffer.from(payload.subarray(8, want)) });
}
