import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SealedSecret } from '@metalbus/events';
import { SecretError, SecretErrorCode, type SecretResult } from './errors.js';
import { SEAL_KEY_BYTES, type Keyring, type SealKey } from './keys.js';

// AES-256-GCM (NIST SP 800-38D): a random 96-bit IV per secret (the recommended IV length, §8.2.2; random IVs
// stay far below the 2^32 invocation limit of §8.3 for BMC passwords) and the full 128-bit tag. The key id is
// authenticated as additional data, so a secret cannot be relabelled to be opened under another key.

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD_PREFIX = 'metalbus-sealed-secret/v1:';

/** Encrypts `plaintext` (UTF-8) with `key`. Pure apart from the random IV. */
export function sealSecret(plaintext: string, key: SealKey): SealedSecret {
  if (key.bytes.length !== SEAL_KEY_BYTES) {
    throw new SecretError(SecretErrorCode.invalidKey, `key ${key.id} must be ${SEAL_KEY_BYTES} bytes`);
  }
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key.bytes, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(key.id));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    sealed: ALGORITHM,
    keyId: key.id,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

/** Decrypts a sealed secret with the keyring's key of the same id. Never throws. */
export function openSecret(sealed: SealedSecret, keyring: Keyring): SecretResult<string> {
  if (sealed.sealed !== ALGORITHM) return fail(SecretErrorCode.malformed, `unknown algorithm ${String(sealed.sealed)}`);
  if (keyring.size === 0) {
    return fail(SecretErrorCode.noKey, `the secret is sealed with key ${sealed.keyId} but no seal key is configured`);
  }
  const key = keyring.get(sealed.keyId);
  if (key === undefined) {
    return fail(
      SecretErrorCode.unknownKey,
      `the secret is sealed with key ${sealed.keyId}; configured keys: ${keyring.ids.join(', ')}`,
    );
  }
  const iv = decode(sealed.iv);
  const tag = decode(sealed.tag);
  const data = decode(sealed.data);
  if (iv === null || tag === null || data === null)
    return fail(SecretErrorCode.malformed, 'iv, tag or data is not base64');
  if (iv.length !== IV_BYTES) return fail(SecretErrorCode.malformed, `iv must be ${IV_BYTES} bytes, got ${iv.length}`);
  if (tag.length !== TAG_BYTES)
    return fail(SecretErrorCode.malformed, `tag must be ${TAG_BYTES} bytes, got ${tag.length}`);
  try {
    const decipher = createDecipheriv(ALGORITHM, key.bytes, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(sealed.keyId));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([decipher.update(data), decipher.final()]);
    return { ok: true, value: plain.toString('utf8') };
  } catch {
    return fail(
      SecretErrorCode.authFailed,
      `the secret does not open with key ${sealed.keyId}: wrong key under that id, or the value was altered`,
    );
  }
}

function aad(keyId: string): Buffer {
  return Buffer.from(`${AAD_PREFIX}${keyId}`, 'utf8');
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decode(text: string): Buffer | null {
  return STRICT_BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

function fail<T>(code: SecretErrorCode, message: string): SecretResult<T> {
  return { ok: false, error: new SecretError(code, message) };
}
