import type { BmcRecord } from '@metalbus/events';
import { createKeyring, generateSealKey, parseSealKey, sealSecret, type SealKey } from '@metalbus/secrets';
import { describe, expect, it } from 'vitest';
import { keyringFromConfig, parseKeyList } from '../src/credentials/keyring.js';
import { createCredentialOpener, summariseSealed } from '../src/credentials/open-bmc.js';
import { memoryLogger } from './support/power-harness.js';

const keyOf = (id: string): { text: string; key: SealKey } => {
  const text = generateSealKey();
  const parsed = parseSealKey(text, id);
  if (!parsed.ok) throw parsed.error;
  return { text, key: parsed.value };
};

const record = (machineId: string, password: BmcRecord['password']): BmcRecord => ({
  machineId,
  driver: 'ipmi',
  address: '10.0.0.5',
  port: null,
  username: 'admin',
  password,
  insecure: false,
  caPem: null,
  systemId: null,
  cipherSuite: null,
  updatedAt: '2025-06-01T12:00:00.000Z',
});

const M1 = '4c4c4544-0051-3010-8052-b4c04f564431';
const M2 = '4c4c4544-0051-3010-8052-b4c04f564432';
const M3 = '4c4c4544-0051-3010-8052-b4c04f564433';

describe('BMC credentials', () => {
  it('opens sealed passwords with the current or a previous key, plain ones with one warning per machine', () => {
    const current = keyOf('2025');
    const old = keyOf('2024');
    const ring = keyringFromConfig({
      BMC_SEAL_KEY: current.text,
      BMC_SEAL_KEY_ID: '2025',
      BMC_SEAL_PREVIOUS_KEY: `2024:${old.text}`,
    });
    const { logger, lines } = memoryLogger();
    const opener = createCredentialOpener(ring, logger);
    const results = [
      opener.open(record(M1, sealSecret('new-pw', current.key))),
      opener.open(record(M2, sealSecret('old-pw', old.key))),
      opener.open(record(M3, { plain: 'dev-pw' })),
      opener.open(record(M3, { plain: 'dev-pw' })),
      opener.open(record(M1, null)),
    ];
    expect(results.map((r) => (r.ok ? r.value.password : r.error.code))).toEqual([
      'new-pw',
      'old-pw',
      'dev-pw',
      'dev-pw',
      null,
    ]);
    expect(lines.map((l) => [l.msg, l['machineId']])).toEqual([
      [
        'BMC password stored in plain text in the bmcs bucket; seal it (set BMC_SEAL_KEY and re-run `metalbus bmc set`)',
        M3,
      ],
    ]);
    expect(JSON.stringify(lines)).not.toContain('dev-pw');
  });

  it('explains what to do when a password cannot be opened', () => {
    const k = keyOf('k1');
    const sealed = sealSecret('pw', k.key);
    const opener = (keys: SealKey[]) => createCredentialOpener(createKeyring(keys), memoryLogger().logger);
    const messages = [
      opener([]).open(record(M1, sealed)),
      opener([keyOf('k2').key]).open(record(M1, sealed)),
      opener([{ ...keyOf('x').key, id: 'k1' }]).open(record(M1, sealed)),
    ].map((r) => (r.ok ? 'opened' : r.error.message));
    expect(messages).toEqual([
      `cannot open the BMC password of ${M1} (seal-key-missing): the secret is sealed with key k1 but no seal key is configured: set BMC_SEAL_KEY to the key it was sealed with`,
      `cannot open the BMC password of ${M1} (seal-key-unknown): the secret is sealed with key k1; configured keys: k2: add that key to BMC_SEAL_PREVIOUS_KEY`,
      `cannot open the BMC password of ${M1} (sealed-secret-auth-failed): the secret does not open with key k1: wrong key under that id, or the value was altered`,
    ]);
  });

  it('summarises sealed records for the start-up check', () => {
    const a = keyOf('a');
    const b = keyOf('b');
    expect(
      summariseSealed([
        [M1, record(M1, { plain: 'x' })],
        [M2, record(M2, sealSecret('x', b.key))],
        [M3, record(M3, sealSecret('x', a.key))],
      ]),
    ).toEqual({ sealed: 2, firstMachine: M2, keyIds: ['a', 'b'] });
  });

  it('parses BMC_SEAL_PREVIOUS_KEY lists without echoing keys', () => {
    const k = keyOf('x');
    expect([
      parseKeyList(`old:${k.text}, older:${k.text}`).ok,
      parseKeyList('nocolon'),
      parseKeyList(`a:${k.text},b:c2hvcnQ=`),
    ]).toEqual([
      true,
      { ok: false, error: 'entry 1 is not <id>:<base64>' },
      { ok: false, error: 'entry 2: key b must be 32 bytes, got 5' },
    ]);
  });
});
