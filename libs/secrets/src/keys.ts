import { randomBytes } from 'node:crypto';
import { SecretError, SecretErrorCode, type SecretResult } from './errors.js';

/** AES-256 key length in bytes. */
export const SEAL_KEY_BYTES = 32;
/** The key id used when none is configured (BMC_SEAL_KEY_ID unset). */
export const DEFAULT_SEAL_KEY_ID = 'default';

/** One AES-256-GCM key and the id stored next to every secret sealed with it (for rotation). */
export type SealKey = { readonly id: string; readonly bytes: Uint8Array };

/** The keys a reader may open secrets with: the current one plus any it replaced. */
export type Keyring = {
  get(id: string): SealKey | undefined;
  readonly ids: readonly string[];
  readonly size: number;
};

const KEY_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
// Standard base64 with padding, or unpadded; url-safe characters accepted too (keys pasted from other tools).
const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** A key from its base64 text (e.g. `openssl rand -base64 32`). Pure: no I/O, never echoes the key. */
export function parseSealKey(base64: string, id: string = DEFAULT_SEAL_KEY_ID): SecretResult<SealKey> {
  if (!KEY_ID_RE.test(id)) {
    return fail(SecretErrorCode.invalidKey, 'key id must be 1-64 of A-Z a-z 0-9 . _ -');
  }
  const text = base64.trim();
  if (!BASE64_RE.test(text) || text.length % 4 === 1) {
    return fail(SecretErrorCode.invalidKey, `key ${id} is not base64`);
  }
  const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== SEAL_KEY_BYTES) {
    return fail(SecretErrorCode.invalidKey, `key ${id} must be ${SEAL_KEY_BYTES} bytes, got ${bytes.length}`);
  }
  return { ok: true, value: { id, bytes: new Uint8Array(bytes) } };
}

/** A fresh random key as base64 (what an operator puts into BMC_SEAL_KEY). */
export function generateSealKey(): string {
  return randomBytes(SEAL_KEY_BYTES).toString('base64');
}

/** A keyring over these keys; a repeated id keeps the first (the current key is listed first). */
export function createKeyring(keys: readonly SealKey[]): Keyring {
  const map = new Map<string, SealKey>();
  for (const k of keys) if (!map.has(k.id)) map.set(k.id, k);
  const ids = [...map.keys()];
  return { get: (id) => map.get(id), ids, size: map.size };
}

function fail<T>(code: SecretErrorCode, message: string): SecretResult<T> {
  return { ok: false, error: new SecretError(code, message) };
}
