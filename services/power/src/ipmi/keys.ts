import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CipherSuite } from './cipher-suites.js';

/**
 * RAKP key exchange and session keys (IPMI v2.0 sections 13.20–13.32). Pure functions of their inputs; the random
 * numbers come in as arguments so tests can fix them.
 *
 * Naming follows the spec: "m" is the remote console (us), "c" the managed system (the BMC).
 */

/** Kuid: the user password as a 20-byte key, zero padded (section 13.31; IPMI v2.0 passwords are ≤ 20 bytes). */
export const USER_KEY_LENGTH = 20;

export function userKey(password: string): Buffer | undefined {
  const bytes = Buffer.from(password, 'utf8');
  if (bytes.length > USER_KEY_LENGTH) return undefined;
  const key = Buffer.alloc(USER_KEY_LENGTH);
  bytes.copy(key);
  return key;
}

export interface RakpInputs {
  /** SIDm: our (remote console) session ID. */
  readonly consoleSessionId: number;
  /** SIDc: the BMC's (managed system) session ID. */
  readonly bmcSessionId: number;
  /** Rm: our 16-byte random number (RAKP 1). */
  readonly consoleRandom: Buffer;
  /** Rc: the BMC's 16-byte random number (RAKP 2). */
  readonly bmcRandom: Buffer;
  /** GUIDc: the BMC's GUID as sent in RAKP 2. */
  readonly bmcGuid: Buffer;
  /** ROLEm: the whole RAKP 1 role byte (privilege plus the name-only-lookup bit). */
  readonly role: number;
  /** UNAMEm: user name bytes (≤ 16). */
  readonly username: Buffer;
}

function hmac(suite: CipherSuite, key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac(suite.hash, key);
  for (const part of parts) h.update(part);
  return h.digest();
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function roleAndName(p: RakpInputs): Buffer {
  return Buffer.concat([Buffer.from([p.role & 0xff, p.username.length]), p.username]);
}

/** RAKP 2 Key Exchange Authentication Code (section 13.31): HMAC_Kuid(SIDm, SIDc, Rm, Rc, GUIDc, ROLEm, ULENGTHm, UNAMEm). */
export function rakp2AuthCode(suite: CipherSuite, kuid: Buffer, p: RakpInputs): Buffer {
  return hmac(
    suite,
    kuid,
    u32le(p.consoleSessionId),
    u32le(p.bmcSessionId),
    p.consoleRandom,
    p.bmcRandom,
    p.bmcGuid,
    roleAndName(p),
  );
}

/** RAKP 3 Key Exchange Authentication Code (section 13.32): HMAC_Kuid(Rc, SIDm, ROLEm, ULENGTHm, UNAMEm). */
export function rakp3AuthCode(suite: CipherSuite, kuid: Buffer, p: RakpInputs): Buffer {
  return hmac(suite, kuid, p.bmcRandom, u32le(p.consoleSessionId), roleAndName(p));
}

/** Session Integrity Key (section 13.31): HMAC_KG(Rm, Rc, ROLEm, ULENGTHm, UNAMEm); KG is Kuid unless a BMC key is set. */
export function sessionIntegrityKey(suite: CipherSuite, kg: Buffer, p: RakpInputs): Buffer {
  return hmac(suite, kg, p.consoleRandom, p.bmcRandom, roleAndName(p));
}

/** RAKP 4 Integrity Check Value (section 13.23): HMAC_SIK(Rm, SIDc, GUIDc), truncated per suite. */
export function rakp4Icv(suite: CipherSuite, sik: Buffer, p: RakpInputs): Buffer {
  return hmac(suite, sik, p.consoleRandom, u32le(p.bmcSessionId), p.bmcGuid).subarray(0, suite.rakp4IcvLength);
}

export interface SessionKeys {
  /** K1 = HMAC_SIK(0x01 × 20): integrity key (section 13.32). */
  readonly k1: Buffer;
  /** K2 = HMAC_SIK(0x02 × 20): confidentiality key; AES-CBC-128 uses its first 16 bytes (section 13.29). */
  readonly k2: Buffer;
  readonly aesKey: Buffer;
}

const CONST_1 = Buffer.alloc(20, 0x01);
const CONST_2 = Buffer.alloc(20, 0x02);

export function deriveSessionKeys(suite: CipherSuite, sik: Buffer): SessionKeys {
  const k1 = hmac(suite, sik, CONST_1);
  const k2 = hmac(suite, sik, CONST_2);
  return { k1, k2, aesKey: k2.subarray(0, 16) };
}

/** Constant-time comparison of an expected MAC with a received one (lengths may differ on hostile input). */
export function macEquals(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}
