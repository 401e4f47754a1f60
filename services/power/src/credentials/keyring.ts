import { createKeyring, parseSealKey, type Keyring, type SealKey } from '@metalbus/secrets';

export type KeyListResult = { ok: true; value: SealKey[] } | { ok: false; error: string };

/** `id:base64,id:base64` → keys. The error names the entry's position, never its key material. */
export function parseKeyList(text: string): KeyListResult {
  const keys: SealKey[] = [];
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    if (colon <= 0) return { ok: false, error: `entry ${i + 1} is not <id>:<base64>` };
    const parsed = parseSealKey(entry.slice(colon + 1), entry.slice(0, colon));
    if (!parsed.ok) return { ok: false, error: `entry ${i + 1}: ${parsed.error.message}` };
    keys.push(parsed.value);
  }
  return { ok: true, value: keys };
}

export type KeyringSettings = {
  BMC_SEAL_KEY?: string | undefined;
  BMC_SEAL_KEY_ID: string;
  BMC_SEAL_PREVIOUS_KEY?: string | undefined;
};

/** The keyring from already validated config: the current key first, then the previous ones. */
export function keyringFromConfig(cfg: KeyringSettings): Keyring {
  const keys: SealKey[] = [];
  if (cfg.BMC_SEAL_KEY !== undefined) {
    const current = parseSealKey(cfg.BMC_SEAL_KEY, cfg.BMC_SEAL_KEY_ID);
    if (current.ok) keys.push(current.value);
  }
  if (cfg.BMC_SEAL_PREVIOUS_KEY !== undefined) {
    const previous = parseKeyList(cfg.BMC_SEAL_PREVIOUS_KEY);
    if (previous.ok) keys.push(...previous.value);
  }
  return createKeyring(keys);
}
