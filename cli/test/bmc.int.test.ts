import { connectBus, provision, type Bus } from '@metalbus/bus';
import { generateSealKey } from '@metalbus/secrets';
import { createLogger } from '@metalbus/telemetry';
import { freshNamespace, startNats, type NatsServer } from '@metalbus/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/command.js';
import { createBmcCommand } from '../src/commands/bmc.js';

// `metalbus bmc set|ls|get|rm` against the bmcs bucket of a real nats-server.

const A = '4c4c4544-0051-3010-8052-b4c04f564431';
const B = '4c4c4544-0051-3010-8052-b4c04f564432';
const CA =
  '-----BEGIN CERTIFICATE-----\nMIIBfzCCASWgAwIBAgIUbm90LWEtcmVhbC1jZXJ0aWZpY2F0ZTAKBggqhkjOPQQDAjAA\n-----END CERTIFICATE-----\n';

describe('metalbus bmc (real nats-server)', () => {
  let nats: NatsServer;
  let bus: Bus;
  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus(
      { NATS_URL: nats.url, NATS_NAMESPACE: freshNamespace() },
      { name: 'cli-test', logger: createLogger({ service: 'cli-test', level: 'silent', pretty: false }) },
    );
    await provision(bus);
  });
  afterAll(async () => {
    await bus?.drain();
    await nats?.stop();
  });

  async function run(argv: string[], stdin = '', env: Record<string, string> = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CliContext = {
      bus: async () => bus,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env,
      interrupted: new Promise(() => undefined),
    };
    const code = await createBmcCommand({
      readStdin: async () => stdin,
      readFile: async (path) => {
        if (path !== 'ca.pem') throw new Error(`unexpected read of ${path}`);
        return CA;
      },
    }).run(argv, ctx);
    return { code, out, err };
  }

  it('sets, lists, shows and removes records; passwords never shown', async () => {
    const key = { BMC_SEAL_KEY: generateSealKey(), BMC_SEAL_KEY_ID: 'k1' };
    expect(
      await run(
        ['set', A, '--driver', 'ipmi', '--address', '10.0.0.5', '--user', 'admin', '--password-stdin'],
        'pw1\n',
        key,
      ),
    ).toEqual({
      code: 0,
      out: [`bmc ${A}: ipmi 10.0.0.5 user admin password sealed (key k1)`],
      err: [],
    });
    expect((await run(['set', B, '--driver', 'api', '--address', '172.42.0.1', '--port', '50001'])).code).toBe(0);
    expect(await run(['ls'])).toEqual({
      code: 0,
      out: [
        'MACHINE                               DRIVER  ADDRESS     PORT   USER   PASSWORD',
        `${A}  ipmi    10.0.0.5    -      admin  sealed (key k1)`,
        `${B}  api     172.42.0.1  50001  -      none`,
      ],
      err: [],
    });
    const shown = await run(['get', A]);
    expect(JSON.parse(shown.out.join('\n'))).toMatchObject({ machineId: A, password: 'sealed (key k1)' });
    expect(shown.out.join('\n')).not.toContain('pw1');
    expect(await run(['rm', B])).toEqual({ code: 0, out: [`removed bmc ${B}`], err: [] });
    expect(await run(['rm', B])).toEqual({ code: 1, out: [], err: [`no BMC record for ${B}`] });
    expect((await run(['ls', '--json'])).out.map((l) => (JSON.parse(l) as { machineId: string }).machineId)).toEqual([
      A,
    ]);
  });

  it('stores the CA from --ca-file, shows it with get; refuses a plain-text password without --allow-plaintext', async () => {
    const key = { BMC_SEAL_KEY: generateSealKey() };
    const set = ['set', A, '--driver', 'redfish', '--address', 'bmc7', '--user', 'root', '--password-stdin'];
    expect(await run([...set, '--ca-file', 'ca.pem'], 'pw\n', key)).toEqual({
      code: 0,
      out: [`bmc ${A}: redfish bmc7 user root password sealed (key default) with its CA`],
      err: [],
    });
    expect(JSON.parse((await run(['get', A])).out.join('\n'))).toMatchObject({ caPem: CA, insecure: false });
    await expect(run(set, 'pw\n')).rejects.toThrow('BMC_SEAL_KEY is not set: refusing to store the password');
    expect(JSON.parse((await run(['get', A])).out.join('\n'))).toMatchObject({ password: 'sealed (key default)' });
  });
});
