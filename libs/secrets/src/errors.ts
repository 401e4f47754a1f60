/** Stable codes of secret errors; callers switch on `code`, never on the message. */
export const SecretErrorCode = {
  /** A key that is not base64 of exactly 32 bytes, or an unusable key id. */
  invalidKey: 'invalid-seal-key',
  /** No key configured at all, yet a sealed secret must be opened. */
  noKey: 'seal-key-missing',
  /** The secret names a key id the keyring does not hold (sealed before a rotation, or with another key). */
  unknownKey: 'seal-key-unknown',
  /** The sealed value is not well formed (bad base64, wrong IV or tag length, unknown algorithm). */
  malformed: 'sealed-secret-malformed',
  /** AES-GCM refused the tag: the wrong key under that id, or the value was altered. */
  authFailed: 'sealed-secret-auth-failed',
} as const;
export type SecretErrorCode = (typeof SecretErrorCode)[keyof typeof SecretErrorCode];

/** A secret that cannot be sealed or opened. Messages never contain key material or plaintext. */
export class SecretError extends Error {
  override readonly name = 'SecretError';
  readonly code: SecretErrorCode;
  constructor(code: SecretErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export type SecretResult<T> = { ok: true; value: T } | { ok: false; error: SecretError };
