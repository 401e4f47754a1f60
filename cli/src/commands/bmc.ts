import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createKvWriter } from '@metalbus/bus';
import { bmcRecordSchema, type BmcRecord } from '@metalbus/events';
import { DEFAULT_SEAL_KEY_ID, parseSealKey, sealSecret } from '@metalbus/secrets';
import { UsageError, type CliContext, type Command } from '../command.js';
import { machineIdArg } from './power.js';

const DRIVERS = ['auto', 'ipmi', 'redfish', 'api'] as const;
type Driver = (typeof DRIVERS)[number];

export type BmcCommandIo = {
  /** The whole of standard input (for --password-stdin). */
  readStdin(): Promise<string>;
  /** A text file (for --ca-file). */
  readFile(path: string): Promise<string>;
};

/**
 * `metalbus bmc set|ls|get|rm`: the `bmcs` records the power service drives BMCs with. Passwords come from stdin
 * or an environment variable (never argv) and are sealed with BMC_SEAL_KEY; storing one in plain text takes an
 * explicit --allow-plaintext.
 */
export function createBmcCommand(io: BmcCommandIo): Command {
  return {
    name: 'bmc',
    summary: 'manage BMC records (driver, address, credentials) the power service uses',
    usage:
      'metalbus bmc set <machine-id> --driver ipmi|redfish|api|auto --address A [--port P] [--user U ' +
      '(--password-stdin | --password-env VAR)] [--allow-plaintext] [--insecure | --ca-file PEM] [--system-id ID] ' +
      '[--cipher-suite 3|17] | ' +
      'bmc ls [--json] | bmc get <machine-id> | bmc rm <machine-id>',
    async run(argv, ctx) {
      const [sub, ...rest] = argv;
      switch (sub) {
        case 'set':
          return set(rest, ctx, io);
        case 'ls':
          return list(rest, ctx);
        case 'get':
          return get(rest, ctx);
        case 'rm':
          return remove(rest, ctx);
        default:
          throw new UsageError(sub === undefined ? 'a subcommand is required' : `unknown subcommand ${sub}`);
      }
    },
  };
}

export const bmcCommand: Command = createBmcCommand({
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  readFile: (path) => readFile(path, 'utf8'),
});

/** Why `bmc set` refuses to store a password unsealed, and what to do about it. */
export const SEAL_KEY_REQUIRED =
  'BMC_SEAL_KEY is not set: refusing to store the password in plain text in the bmcs bucket. ' +
  'Generate a key with `openssl rand -base64 32` and set it as BMC_SEAL_KEY (optionally BMC_SEAL_KEY_ID) here and ' +
  'in the power service, or pass --allow-plaintext to store the password unsealed.';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** The record `bmc set` writes (pure apart from reading the password source). */
export async function buildBmcRecord(
  argv: string[],
  ctx: Pick<CliContext, 'env' | 'err'>,
  io: BmcCommandIo,
  now: Date,
): Promise<BmcRecord> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      driver: { type: 'string', default: 'auto' },
      address: { type: 'string' },
      port: { type: 'string' },
      user: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      'password-env': { type: 'string' },
      'allow-plaintext': { type: 'boolean', default: false },
      insecure: { type: 'boolean', default: false },
      'ca-file': { type: 'string' },
      'system-id': { type: 'string' },
      'cipher-suite': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('exactly one machine id is required');
  const machineId = machineIdArg(positionals[0] as string);
  const driver = values.driver as Driver;
  if (!DRIVERS.includes(driver)) throw new UsageError(`--driver: one of ${DRIVERS.join(', ')}, got ${values.driver}`);
  if (values.address === undefined || values.address.trim() === '') throw new UsageError('--address is required');
  const port = values.port === undefined ? null : Number(values.port);
  if (port !== null && (!/^\d{1,5}$/.test(values.port ?? '') || port > 65535)) {
    throw new UsageError(`--port: a port number, got ${values.port}`);
  }
  const suite = values['cipher-suite'];
  if (suite !== undefined && suite !== '3' && suite !== '17') throw new UsageError('--cipher-suite: 3 or 17');
  if (values['password-stdin'] && values['password-env'] !== undefined) {
    throw new UsageError('--password-stdin and --password-env exclude each other');
  }
  const wantsPassword = values['password-stdin'] || values['password-env'] !== undefined;
  if (driver !== 'api' && (values.user === undefined || !wantsPassword)) {
    throw new UsageError(`--driver ${driver} needs --user and --password-stdin or --password-env VAR`);
  }
  let password: string | null = null;
  if (values['password-stdin']) password = (await io.readStdin()).replace(/\r?\n$/, '');
  const envName = values['password-env'];
  if (envName !== undefined) {
    password = ctx.env[envName] ?? null;
    if (password === null || password === '') throw new UsageError(`--password-env: ${envName} is not set`);
  }
  if (wantsPassword && password === '') throw new UsageError('the password is empty');
  const caPem = await readCa(values['ca-file'], driver, values.insecure, io);
  const sealed = password === null ? null : seal(password, ctx, values['allow-plaintext']);
  return bmcRecordSchema.parse({
    machineId,
    driver,
    address: values.address.trim(),
    port,
    username: values.user ?? null,
    password: sealed,
    insecure: values.insecure,
    caPem,
    systemId: values['system-id'] ?? null,
    cipherSuite: suite === undefined ? null : Number(suite),
    updatedAt: now.toISOString(),
  });
}

/** The Redfish trust anchors from --ca-file: PEM certificates only, for drivers that speak HTTPS. */
async function readCa(
  path: string | undefined,
  driver: Driver,
  insecure: boolean,
  io: BmcCommandIo,
): Promise<string | null> {
  if (path === undefined) return null;
  if (driver === 'ipmi') throw new UsageError('--ca-file: --driver ipmi does not use TLS');
  if (insecure) throw new UsageError('--ca-file and --insecure exclude each other');
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    throw new UsageError(`--ca-file: cannot read ${path}${typeof code === 'string' ? ` (${code})` : ''}`);
  }
  if (!PEM_CERTIFICATE.test(text)) throw new UsageError(`--ca-file: ${path} holds no PEM certificate`);
  return text;
}

function seal(password: string, ctx: Pick<CliContext, 'env' | 'err'>, allowPlaintext: boolean): BmcRecord['password'] {
  const keyText = ctx.env['BMC_SEAL_KEY'];
  if (keyText === undefined || keyText === '') {
    if (!allowPlaintext) throw new UsageError(SEAL_KEY_REQUIRED);
    ctx.err('warning: BMC_SEAL_KEY is not set: the password is stored in plain text in the bmcs bucket');
    return { plain: password };
  }
  const key = parseSealKey(keyText, ctx.env['BMC_SEAL_KEY_ID'] || DEFAULT_SEAL_KEY_ID);
  if (!key.ok) throw new UsageError(`BMC_SEAL_KEY: ${key.error.message}`);
  return sealSecret(password, key.value);
}

/** A record for display: the password replaced by what protects it. */
export function redactBmc(record: BmcRecord): Omit<BmcRecord, 'password'> & { password: string } {
  const p = record.password;
  return {
    ...record,
    password: p === null ? 'none' : 'plain' in p ? 'plain (not sealed)' : `sealed (key ${p.keyId})`,
  };
}

async function set(argv: string[], ctx: CliContext, io: BmcCommandIo): Promise<number> {
  const record = await buildBmcRecord(argv, ctx, io, new Date());
  const bus = await ctx.bus();
  await createKvWriter(bus).put('bmcs', record.machineId, record);
  const shown = redactBmc(record);
  ctx.out(
    `bmc ${record.machineId}: ${record.driver} ${record.address}${record.port === null ? '' : ` port ${record.port}`}` +
      `${record.username === null ? '' : ` user ${record.username}`} password ${shown.password}` +
      `${record.caPem === null ? '' : ' with its CA'}`,
  );
  return 0;
}

async function list(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError('bmc ls takes no arguments');
  const kv = createKvWriter(await ctx.bus());
  const rows: string[][] = [];
  for (const key of await kv.keys('bmcs')) {
    const parsed = bmcRecordSchema.safeParse(await kv.get('bmcs', key));
    if (!parsed.success) {
      ctx.err(`${key}: invalid record (${parsed.error.issues[0]?.message ?? 'invalid'})`);
      continue;
    }
    const r = redactBmc(parsed.data);
    if (values.json) {
      ctx.out(JSON.stringify(r));
      continue;
    }
    rows.push([key, r.driver, r.address, r.port === null ? '-' : String(r.port), r.username ?? '-', r.password]);
  }
  if (!values.json) {
    if (rows.length === 0) {
      ctx.err('no BMC records');
      return 0;
    }
    const table = [['MACHINE', 'DRIVER', 'ADDRESS', 'PORT', 'USER', 'PASSWORD'], ...rows];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
    for (const row of table)
      ctx.out(
        row
          .map((cell, i) => cell.padEnd(widths[i] as number))
          .join('  ')
          .trimEnd(),
      );
  }
  return 0;
}

async function get(argv: string[], ctx: CliContext): Promise<number> {
  if (argv.length !== 1) throw new UsageError('exactly one machine id is required');
  const machineId = machineIdArg(argv[0] as string);
  const value = await createKvWriter(await ctx.bus()).get('bmcs', machineId);
  if (value === undefined) {
    ctx.err(`no BMC record for ${machineId}`);
    return 1;
  }
  const parsed = bmcRecordSchema.safeParse(value);
  if (!parsed.success) {
    ctx.err(`${machineId}: invalid record (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    return 1;
  }
  ctx.out(JSON.stringify(redactBmc(parsed.data), null, 2));
  return 0;
}

async function remove(argv: string[], ctx: CliContext): Promise<number> {
  if (argv.length !== 1) throw new UsageError('exactly one machine id is required');
  const machineId = machineIdArg(argv[0] as string);
  const kv = createKvWriter(await ctx.bus());
  if ((await kv.get('bmcs', machineId)) === undefined) {
    ctx.err(`no BMC record for ${machineId}`);
    return 1;
  }
  await kv.delete('bmcs', machineId);
  ctx.out(`removed bmc ${machineId}`);
  return 0;
}
