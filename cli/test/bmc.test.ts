import { bmcRecordSchema } from '@metalbus/events';
import { createKeyring, generateSealKey, openSecret, parseSealKey } from '@metalbus/secrets';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../src/command.js';
import { buildBmcRecord, redactBmc, SEAL_KEY_REQUIRED } from '../src/commands/bmc.js';
import { runCli } from '../src/main.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const ID = '4c4c4544-0051-3010-8052-b4c04f564433';

const CA = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBfzCCASWgAwIBAgIUbm90LWEtcmVhbC1jZXJ0aWZpY2F0ZTAKBggqhkjOPQQDAjAA',
  '-----END CERTIFICATE-----',
  '',
].join('\n');
const FILES: Record<string, string> = { '/etc/metalbus/bmc-ca.pem': CA, '/tmp/not-a-cert.txt': 'hello\n' };

async function readFile(path: string): Promise<string> {
  const text = FILES[path];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return text;
}

async function build(argv: string[], env: Record<string, string> = {}, stdin = '') {
  const err: string[] = [];
  try {
    const record = await buildBmcRecord(
      argv,
      { env, err: (l) => err.push(l) },
      { readStdin: async () => stdin, readFile },
      NOW,
    );
    return { record, err };
  } catch (e) {
    if (e instanceof UsageError) return { usage: e.message, err };
    throw e;
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
});

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

  it('refuses to store a password in plain text when no key is set, saying how to make one', async () => {
    const { record, usage, err } = await build(
      [ID, '--driver', 'redfish', '--address', 'bmc7:8443', '--user', 'root', '--password-env', 'PW'],
      { PW: 'calvin' },
    );
    expect({ record, usage, err }).toEqual({
      record: undefined,
      usage:
        'BMC_SEAL_KEY is not set: refusing to store the password in plain text in the bmcs bucket. ' +
        'Generate a key with `openssl rand -base64 32` and set it as BMC_SEAL_KEY (optionally BMC_SEAL_KEY_ID) here ' +
        'and in the power service, or pass --allow-plaintext to store the password unsealed.',
      err: [],
    });
  });

  it('stores a plain password (with a warning) only with --allow-plaintext; takes it from an env var', async () => {
    const { record, err } = await build(
      [
        ID,
        '--driver',
        'redfish',
        '--address',
        'bmc7:8443',
        '--user',
        'root',
        '--password-env',
        'PW',
        '--insecure',
        '--allow-plaintext',
      ],
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

  it('stores the Redfish CA from --ca-file as caPem; refuses what cannot be a CA for this BMC', async () => {
    const key = { BMC_SEAL_KEY: generateSealKey() };
    const redfish = [ID, '--driver', 'redfish', '--address', 'bmc7', '--user', 'root', '--password-stdin'];
    const { record } = await build([...redfish, '--ca-file', '/etc/metalbus/bmc-ca.pem'], key, 'pw');
    expect([record?.caPem, record?.insecure]).toEqual([CA, false]);
    expect((await build(redfish, key, 'pw')).record?.caPem).toBe(null);
    const usages = await Promise.all(
      [
        [...redfish, '--ca-file', '/tmp/not-a-cert.txt'],
        [...redfish, '--ca-file', '/nonexistent.pem'],
        [...redfish, '--ca-file', '/etc/metalbus/bmc-ca.pem', '--insecure'],
        [
          ID,
          '--driver',
          'ipmi',
          '--address',
          'x',
          '--user',
          'u',
          '--password-stdin',
          '--ca-file',
          '/etc/metalbus/bmc-ca.pem',
        ],
      ].map(async (argv) => (await build(argv, key, 'pw')).usage),
    );
    expect(usages).toEqual([
      '--ca-file: /tmp/not-a-cert.txt holds no PEM certificate',
      '--ca-file: cannot read /nonexistent.pem (ENOENT)',
      '--ca-file and --insecure exclude each other',
      '--ca-file: --driver ipmi does not use TLS',
    ]);
  });
});

describe('metalbus bmc set (exit code)', () => {
  it('exits 2 with the key hint, before connecting anywhere, when the password would be stored in plain text', async () => {
    vi.stubEnv('BMC_SEAL_KEY', '');
    vi.stubEnv('MB_TEST_BMC_PW', 'calvin');
    vi.stubEnv('NATS_URL', 'nats://127.0.0.1:1'); // nothing listens: a connection attempt would fail with 1
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      [
        'bmc',
        'set',
        ID,
        '--driver',
        'ipmi',
        '--address',
        '10.0.0.5',
        '--user',
        'admin',
        '--password-env',
        'MB_TEST_BMC_PW',
      ],
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    expect({ code, out, first: err.join('\n').split('\n')[0] }).toEqual({
      code: 2,
      out: [],
      first: `metalbus bmc: ${SEAL_KEY_REQUIRED}`,
    });
  });
});
