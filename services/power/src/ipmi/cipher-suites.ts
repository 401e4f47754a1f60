/**
 * The RMCP+ cipher suites this client speaks (IPMI v2.0 section 22.15.2, table 22-20), with the algorithm
 * numbers proposed in Open Session (section 13.28, tables 13-17..13-19):
 *   suite 3:  RAKP-HMAC-SHA1 (0x01),   HMAC-SHA1-96 (0x01),    AES-CBC-128 (0x01)
 *   suite 17: RAKP-HMAC-SHA256 (0x03), HMAC-SHA256-128 (0x04), AES-CBC-128 (0x01)
 */
export const CIPHER_SUITE_IDS = [3, 17] as const;
export type CipherSuiteId = (typeof CIPHER_SUITE_IDS)[number];

export const AUTH_ALGORITHM = { none: 0x00, hmacSha1: 0x01, hmacMd5: 0x02, hmacSha256: 0x03 } as const;
export const INTEGRITY_ALGORITHM = {
  none: 0x00,
  hmacSha1_96: 0x01,
  hmacMd5_128: 0x02,
  md5_128: 0x03,
  hmacSha256_128: 0x04,
} as const;
export const CONFIDENTIALITY_ALGORITHM = { none: 0x00, aesCbc128: 0x01 } as const;

export interface CipherSuite {
  readonly id: CipherSuiteId;
  readonly authAlgorithm: number;
  readonly integrityAlgorithm: number;
  readonly confidentialityAlgorithm: number;
  /** node:crypto digest name of both the RAKP HMAC and the integrity HMAC. */
  readonly hash: 'sha1' | 'sha256';
  /** Length of the RAKP 2/3 key exchange auth codes: the full HMAC (20 or 32 bytes, section 13.31/13.32). */
  readonly rakpAuthCodeLength: number;
  /** RAKP 4 integrity check value: HMAC truncated to 12 (SHA1-96) or 16 (SHA256-128) bytes (section 13.23). */
  readonly rakp4IcvLength: number;
  /** Session packet AuthCode length (section 13.28.4): 12 for HMAC-SHA1-96, 16 for HMAC-SHA256-128. */
  readonly authCodeLength: number;
}

export const CIPHER_SUITES: Readonly<Record<CipherSuiteId, CipherSuite>> = {
  3: {
    id: 3,
    authAlgorithm: AUTH_ALGORITHM.hmacSha1,
    integrityAlgorithm: INTEGRITY_ALGORITHM.hmacSha1_96,
    confidentialityAlgorithm: CONFIDENTIALITY_ALGORITHM.aesCbc128,
    hash: 'sha1',
    rakpAuthCodeLength: 20,
    rakp4IcvLength: 12,
    authCodeLength: 12,
  },
  17: {
    id: 17,
    authAlgorithm: AUTH_ALGORITHM.hmacSha256,
    integrityAlgorithm: INTEGRITY_ALGORITHM.hmacSha256_128,
    confidentialityAlgorithm: CONFIDENTIALITY_ALGORITHM.aesCbc128,
    hash: 'sha256',
    rakpAuthCodeLength: 32,
    rakp4IcvLength: 16,
    authCodeLength: 16,
  },
};
