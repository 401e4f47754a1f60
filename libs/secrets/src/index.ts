export { SecretError, SecretErrorCode, type SecretResult } from './errors.js';
export {
  createKeyring,
  DEFAULT_SEAL_KEY_ID,
  generateSealKey,
  parseSealKey,
  SEAL_KEY_BYTES,
  type Keyring,
  type SealKey,
} from './keys.js';
export { openSecret, sealSecret } from './seal.js';
