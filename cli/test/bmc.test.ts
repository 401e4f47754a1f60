import { bmcRecordSchema } from '@metalbus/events';
import { createKeyring, generateSealKey, openSecret, parseSealKey } from '@metalbus/secrets';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/command.js';
import { buildBmcRecord, redactBmc } from '../src/commands/bmc.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const ID = '4c4c4544-0051-3010-8052-b4c04f564433';

async function build(argv: string[], env: Record<string, string> = {}, stdin = '') {
  const err: string[] = [];
  try {
    const record = await buildBmcRecord(argv, { env, err: (l) => err.push(l) }, { readStdin: async () => stdin }, NOW);
    return { record, err };
  } catch (e) {
    if (e instanceof UsageError) return { usage: e.message, err };
    throw e;
  }
}

describe('metalbus bmc set', () => {
  it('seals the password from stdin with BMC_SEAL_KEY, and it opens with the same key', async () => {
    const text = generateSealKey();
    const key = parseSealKey(text, 'k7');
    if (!key.ok) throw key.error;
    const { record, err } = await build(
      [
        ID,
        '--driver',
        'ipmi',
        '--address',
        '10.0.0.5',
        '--port',
        '623',
        '--user',
        'admin',
        '--password-stdin',
        '--cipher-suite',
        '17',
      ],
      { BMC_SEAL_KEY: text, BMC_SEAL_KEY_ID: 'k7' },
      's3cret\n',
    );
    expect(err).toEqual([]);
    if (record === undefined) throw new Error('no record');
    expect(bmcRecordSchema.parse(record)).toEqual(record);
    expect(redactBmc(record)).toEqual({
      machineId: ID,
      driver: 'ipmi',
      address: '10.0.0.5',
      port: 623,
      username: 'admin',
      password: 'sealed (key k7)',
      insecure: false,
      caPem: null,
      systemId: null,
      cipherSuite: 17,
      updatedAt: '2025-06-01T12:00:00.000Z',
    });
    const p = record.password;
    expect(p !== null && 'sealed' in p ? openSecret(p, createKeyring([key.value])) : null).toEqual({
      ok: true,
      value: 's3cret',
    });
    expect(JSON.stringify(record)).not.toContain('s3cret');
  });

  it('stores a plain password (with a warning) when no key is set; takes it from an env var', async () => {
    const { record, err } = await build(
      [ID, '--driver', 'redfish', '--address', 'bmc7:8443', '--user', 'root', '--password-env', 'PW', '--insecure'],
      { PW: 'calvin' },
    );
    expect([record?.password, record?.insecure, err]).toEqual([
      { plain: 'calvin' },
      true,
      ['warning: BMC_SEAL_KEY is not set: the password is stored in plain text in the bmcs bucket'],
    ]);
  });

  it('needs no credentials for the QEMU API driver; refuses bad input', async () => {
    expect((await build([ID, '--driver', 'api', '--address', '172.42.0.1:50001'])).record?.password).toBe(null);
    const usages = await Promise.all(
      [
        [ID, '--driver', 'ipmi', '--address', 'x', '--user', 'u'],
        [ID, '--driver', 'bogus', '--address', 'x'],
        [ID, '--driver', 'api'],
        [ID, '--driver', 'ipmi', '--address', 'x', '--user', 'u', '--password-env', 'NOPE'],
        [ID, '--driver', 'ipmi', '--address', 'x', '--user', 'u', '--password-stdin', '--password-env', 'X'],
        [ID, '--driver', 'api', '--address', 'x', '--port', '70000'],
      ].map(async (argv) => (await build(argv)).usage),
    );
    expect(usages).toEqual([
      '--driver ipmi needs --user and --password-stdin or --password-env VAR',
      '--driver: one of auto, ipmi, redfish, api, got bogus',
      '--address is required',
      '--password-env: NOPE is not set',
      '--password-stdin and --password-env exclude each other',
      '--port: a port number, got 70000',
    ]);
  });
});
