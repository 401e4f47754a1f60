import { randomBytes } from 'node:crypto';
import { sealedSecretSchema, type SealedSecret } from '@metalbus/events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createKeyring,
  DEFAULT_SEAL_KEY_ID,
  generateSealKey,
  openSecret,
  parseSealKey,
  sealSecret,
  SecretError,
  type SealKey,
} from '@metalbus/secrets';

const key = (id: string, fill?: number): SealKey => ({
  id,
  bytes: fill === undefined ? new Uint8Array(randomBytes(32)) : new Uint8Array(32).fill(fill),
});

/** Flip one bit of a base64 field. */
function flip(b64: string, byte = 0): string {
  const buf = Buffer.from(b64, 'base64');
  buf[byte] = (buf[byte] as number) ^ 0x01;
  return buf.toString('base64');
}

describe('sealSecret / openSecret', () => {
  it('round-trips, produces a record the bmcs schema accepts, and never carries the plaintext', () => {
    const k = key('k1');
    const sealed = sealSecret('hunter2-ä', k);
    expect(sealedSecretSchema.parse(sealed)).toEqual(sealed);
    expect({ sealed: sealed.sealed, keyId: sealed.keyId, iv: Buffer.from(sealed.iv, 'base64').length }).toEqual({
      sealed: 'aes-256-gcm',
      keyId: 'k1',
      iv: 12,
    });
    expect(JSON.stringify(sealed)).not.toContain('hunter2');
    expect(openSecret(sealed, createKeyring([k]))).toEqual({ ok: true, value: 'hunter2-ä' });
  });

  it('uses a fresh IV for every seal', () => {
    const k = key('k1', 7);
    const a = sealSecret('same', k);
    const b = sealSecret('same', k);
    expect(a.iv === b.iv || a.data === b.data).toBe(false);
  });

  it('opens secrets sealed under a previous key after a rotation (keyId picks the key)', () => {
    const old = key('2024');
    const current = key('2025');
    const ring = createKeyring([current, old]);
    expect([openSecret(sealSecret('a', old), ring), openSecret(sealSecret('b', current), ring)]).toEqual([
      { ok: true, value: 'a' },
      { ok: true, value: 'b' },
    ]);
    expect(ring.ids).toEqual(['2025', '2024']);
  });

  it('refuses altered values, a relabelled key id, wrong keys, missing and unknown keys, each with its code', () => {
    const k = key('k1', 1);
    const other = key('k1', 2);
    const sealed = sealSecret('password', k);
    const ring = createKeyring([k]);
    const relabelled: SealedSecret = { ...sealed, keyId: 'k2' };
    const cases: Record<string, SealedSecret | [SealedSecret, SealKey[]]> = {
      data: { ...sealed, data: flip(sealed.data) },
      tag: { ...sealed, tag: flip(sealed.tag) },
      iv: { ...sealed, iv: flip(sealed.iv) },
      relabelled: [relabelled, [k, { ...k, id: 'k2' }]],
      wrongKey: [sealed, [other]],
      noKey: [sealed, []],
      unknownKey: [relabelled, [k]],
      shortIv: { ...sealed, iv: Buffer.alloc(8).toString('base64') },
      notBase64: { ...sealed, tag: 'not base64!' },
    };
    const codes = Object.fromEntries(
      Object.entries(cases).map(([name, c]) => {
        const [s, keys] = Array.isArray(c) ? c : [c, null];
        const r = openSecret(s, keys === null ? ring : createKeyring(keys));
        return [name, r.ok ? 'opened' : r.error.code];
      }),
    );
    expect(codes).toEqual({
      data: 'sealed-secret-auth-failed',
      tag: 'sealed-secret-auth-failed',
      iv: 'sealed-secret-auth-failed',
      relabelled: 'sealed-secret-auth-failed',
      wrongKey: 'sealed-secret-auth-failed',
      noKey: 'seal-key-missing',
      unknownKey: 'seal-key-unknown',
      shortIv: 'sealed-secret-malformed',
      notBase64: 'sealed-secret-malformed',
    });
  });

  it('never puts the plaintext or key into error messages', () => {
    const k = key('k1', 3);
    const sealed = sealSecret('s3cr3t-value', k);
    const r = openSecret({ ...sealed, data: flip(sealed.data) }, createKeyring([k]));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBeInstanceOf(SecretError);
      expect(r.error.message).toBe(
        'the secret does not open with key k1: wrong key under that id, or the value was altered',
      );
    }
  });

  it('round-trips any string (property)', () => {
    const k = key('p');
    const ring = createKeyring([k]);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (s) => {
        const r = openSecret(sealSecret(s, k), ring);
        return r.ok && r.value === s;
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseSealKey', () => {
  it('accepts 32 bytes of base64 (standard or url-safe) and names the key', () => {
    const text = generateSealKey();
    const parsed = parseSealKey(text);
    const urlSafe = parseSealKey(text.replace(/\+/g, '-').replace(/\//g, '_'), 'k9');
    expect([parsed.ok && parsed.value.id, urlSafe.ok && urlSafe.value.id]).toEqual([DEFAULT_SEAL_KEY_ID, 'k9']);
    expect(parsed.ok && Buffer.from(parsed.value.bytes).toString('base64')).toBe(text);
  });

  it('rejects wrong lengths, non-base64 and bad ids without echoing the key', () => {
    const results = [
      parseSealKey(Buffer.alloc(16).toString('base64')),
      parseSealKey('***not-a-key***'),
      parseSealKey(generateSealKey(), 'bad id'),
    ].map((r) => (r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`));
    expect(results).toEqual([
      'invalid-seal-key: key default must be 32 bytes, got 16',
      'invalid-seal-key: key default is not base64',
      'invalid-seal-key: key id must be 1-64 of A-Z a-z 0-9 . _ -',
    ]);
  });
});
