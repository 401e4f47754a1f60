import { createServer, type AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { executeCommand } from '../src/commands/execute.js';
import { BmcError, type PowerDriver } from '../src/drivers/driver.js';
import { createRedfishDriver, type RedfishDriverOptions } from '../src/drivers/redfish.js';
import {
  makeSelfSignedCert,
  startRedfishSim,
  type RedfishSim,
  type RedfishSimOptions,
  type SimSystem,
} from './support/redfish-sim.js';

// The Redfish driver against the in-process Redfish simulator (real HTTPS on loopback).

const logger = pino({ level: 'silent' });
const PASSWORD = 'sim-password-1';
const UUID_1 = '4c4c4544-0051-3010-8052-b4c04f564433';
let cert: { key: string; cert: string };
const open: { sims: RedfishSim[]; drivers: PowerDriver[] } = { sims: [], drivers: [] };

beforeAll(() => {
  cert = makeSelfSignedCert();
});

afterEach(async () => {
  await Promise.all(open.drivers.splice(0).map((d) => d.close()));
  await Promise.all(open.sims.splice(0).map((s) => s.close()));
});

async function sim(options: RedfishSimOptions = {}): Promise<RedfishSim> {
  const started = await startRedfishSim({ tls: cert, ...options });
  open.sims.push(started);
  return started;
}

function driver(bmc: RedfishSim, options: Partial<RedfishDriverOptions> = {}): PowerDriver {
  const created = createRedfishDriver(
    { baseUrl: bmc.url, username: 'admin', password: PASSWORD, caPem: cert.cert, timeouts: { pollMs: 5 }, ...options },
    { logger },
  );
  open.drivers.push(created);
  return created;
}

const deadline = (ms = 10_000): AbortSignal => AbortSignal.timeout(ms);

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BmcError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a BmcError');
}

function state(system: SimSystem | undefined): Omit<SimSystem, 'settingsVersion'> | undefined {
  if (system === undefined) return undefined;
  const { settingsVersion: _version, ...rest } = system;
  return rest;
}

const disabled = {
  BootSourceOverrideEnabled: 'Disabled',
  BootSourceOverrideTarget: 'None',
  BootSourceOverrideMode: 'UEFI',
};

describe('Redfish driver against the simulator', () => {
  it('drives every operation and the BMC ends in the expected state', async () => {
    const bmc = await sim();
    const d = driver(bmc);
    expect(d.kind).toBe('redfish');
    expect(d.target).toBe(bmc.url);
    const system = bmc.systems.get('1');

    expect(await d.status(deadline())).toBe('off');
    await d.setBootOnce('pxe', 'uefi', deadline());
    expect(state(system)).toEqual({
      id: '1',
      uuid: UUID_1,
      powerState: 'Off',
      boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe', BootSourceOverrideMode: 'UEFI' },
      pending: null,
      resets: [],
      booted: [],
    });

    await d.powerOn(deadline());
    await d.powerOn(deadline()); // already on: nothing sent (the simulator, like iDRAC, would answer 409)
    expect(await d.status(deadline())).toBe('on');
    await d.setBootOnce('disk', 'bios', deadline());
    await d.reset(deadline());
    await d.cycle(deadline());
    await d.softOff(deadline());
    await d.powerOff(deadline()); // already off: nothing sent
    await d.powerOn(deadline());
    await d.powerOff(deadline());
    await d.setBootOnce('pxe', 'bios', deadline());
    await d.clearBootOverride(deadline());

    expect(state(system)).toEqual({
      id: '1',
      uuid: UUID_1,
      powerState: 'Off',
      boot: {
        BootSourceOverrideEnabled: 'Disabled',
        BootSourceOverrideTarget: 'Pxe',
        BootSourceOverrideMode: 'Legacy',
      },
      pending: null,
      resets: ['On', 'ForceRestart', 'PowerCycle', 'GracefulShutdown', 'On', 'ForceOff'],
      booted: ['Pxe', 'Hdd', 'default', 'default'],
    });
    // Discovery happened once; basic auth on everything but the service root, which is read with it too.
    expect(
      bmc.requests.filter((r) => r.startsWith('GET /redfish/v1/ ') || r.startsWith('GET /redfish/v1/Systems ')),
    ).toEqual(['GET /redfish/v1/ basic 200', 'GET /redfish/v1/Systems basic 200']);
  });

  it('composes a cycle and a reset from ForceOff + On when the BMC allows nothing better', async () => {
    const bmc = await sim({
      allowableResetTypes: ['On', 'ForceOff', 'GracefulRestart'],
      systems: [{ id: '1', uuid: UUID_1, powerState: 'On' }],
    });
    const d = driver(bmc);
    await d.cycle(deadline());
    await d.reset(deadline());
    expect(bmc.systems.get('1')?.resets).toEqual(['ForceOff', 'On', 'GracefulRestart']);
    expect(await failure(d.softOff(deadline()))).toEqual({
      code: 'unsupported',
      message: `softOff on BMC ${bmc.url} failed (unsupported): ResetType GracefulShutdown not allowed (allowed: On, ForceOff, GracefulRestart)`,
    });
  });

  it('reads allowable ResetTypes from an ActionInfo resource', async () => {
    const bmc = await sim({
      resetActionInfo: true,
      allowableResetTypes: ['On', 'ForceOff'],
      systems: [{ id: '1', uuid: UUID_1, powerState: 'On' }],
    });
    const d = driver(bmc);
    await d.reset(deadline());
    await d.reset(deadline());
    expect(bmc.systems.get('1')?.resets).toEqual(['ForceOff', 'On', 'ForceOff', 'On']);
    expect(bmc.requests.filter((r) => r.includes('ResetActionInfo'))).toEqual([
      'GET /redfish/v1/Systems/1/ResetActionInfo basic 200',
    ]);
  });

  it('retries without BootSourceOverrideMode when the BMC refuses it, and remembers', async () => {
    const bmc = await sim({ variant: 'rejects-mode' });
    const d = driver(bmc);
    await d.setBootOnce('pxe', 'bios', deadline());
    await d.setBootOnce('pxe', 'uefi', deadline());
    expect(bmc.systems.get('1')?.boot).toEqual({
      BootSourceOverrideEnabled: 'Once',
      BootSourceOverrideTarget: 'Pxe',
      BootSourceOverrideMode: 'UEFI',
    });
    expect(bmc.requests.filter((r) => r.startsWith('PATCH'))).toEqual([
      'PATCH /redfish/v1/Systems/1 basic 400',
      'PATCH /redfish/v1/Systems/1 basic 204',
      'PATCH /redfish/v1/Systems/1 basic 204',
    ]);
  });

  it('does not send the mode when configured off', async () => {
    const bmc = await sim({ variant: 'rejects-mode' });
    await driver(bmc, { setBootMode: false }).setBootOnce('pxe', 'bios', deadline());
    expect(bmc.requests.filter((r) => r.startsWith('PATCH'))).toEqual(['PATCH /redfish/v1/Systems/1 basic 204']);
  });

  it('falls back to the @Redfish.Settings object with If-Match, re-reading a stale ETag once', async () => {
    const bmc = await sim({ variant: 'settings', staleEtagOnce: true });
    const d = driver(bmc);
    await d.setBootOnce('pxe', 'bios', deadline());
    const system = bmc.systems.get('1');
    expect([system?.boot, system?.pending]).toEqual([
      disabled,
      { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe', BootSourceOverrideMode: 'Legacy' },
    ]);
    expect(bmc.requests.filter((r) => r.includes('/Systems/1') && !r.startsWith('GET /redfish/v1/Systems/1 '))).toEqual(
      [
        'PATCH /redfish/v1/Systems/1 basic 400',
        'GET /redfish/v1/Systems/1/Settings basic 200',
        'PATCH /redfish/v1/Systems/1/Settings basic 412',
        'GET /redfish/v1/Systems/1/Settings basic 200',
        'PATCH /redfish/v1/Systems/1/Settings basic 204',
      ],
    );
    await d.powerOn(deadline()); // pending settings apply at boot
    expect(system?.booted).toEqual(['Pxe']);
  });

  it('uses the AMI /SD FutureState URI with If-Match', async () => {
    const bmc = await sim({ variant: 'ami' });
    const d = driver(bmc);
    await d.setBootOnce('pxe', 'uefi', deadline());
    await d.powerOn(deadline());
    expect(bmc.systems.get('1')?.booted).toEqual(['Pxe']);
    expect(bmc.requests.filter((r) => r.startsWith('PATCH'))).toEqual([
      'PATCH /redfish/v1/Systems/1 basic 400',
      'PATCH /redfish/v1/Systems/1/SD basic 204',
    ]);
  });

  it('selects the system whose UUID is the machine, or the one named by systemId', async () => {
    const systems = [
      { id: 'A', uuid: '11111111-0000-0000-0000-000000000001' },
      { id: 'B', uuid: '22222222-0000-0000-0000-000000000002' },
      { id: 'C', uuid: '33333333-0000-0000-0000-000000000003' },
    ];
    const bmc = await sim({ systems });
    await driver(bmc, { machineUuid: '22222222-0000-0000-0000-000000000002' }).powerOn(deadline());
    await driver(bmc, { systemId: 'C', machineUuid: '22222222-0000-0000-0000-000000000002' }).powerOn(deadline());
    expect([...bmc.systems.values()].map((s) => [s.id, s.powerState])).toEqual([
      ['A', 'Off'],
      ['B', 'On'],
      ['C', 'On'],
    ]);
    expect(await failure(driver(bmc).status(deadline()))).toEqual({
      code: 'unsupported',
      message: `status on BMC ${bmc.url} failed (unsupported): 3 systems (A, B, C) and no UUID to choose by; set systemId`,
    });
  });

  it('uses a session: one login, X-Auth-Token after it, re-login after expiry, DELETE at close', async () => {
    const bmc = await sim();
    const d = driver(bmc, { auth: 'session' });
    await d.powerOn(deadline());
    expect(bmc.openSessions()).toBe(1);
    bmc.expireSessions();
    expect(await d.status(deadline())).toBe('on');
    expect(bmc.openSessions()).toBe(1);
    await d.close();
    expect(bmc.openSessions()).toBe(0);
    expect(bmc.requests).toEqual([
      'GET /redfish/v1/ none 200',
      'POST /redfish/v1/SessionService/Sessions none 201',
      'GET /redfish/v1/Systems session 200',
      'GET /redfish/v1/Systems/1 session 200',
      'POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset session 204',
      'GET /redfish/v1/Systems/1 bad 401',
      'POST /redfish/v1/SessionService/Sessions none 201',
      'GET /redfish/v1/Systems/1 session 200',
      'DELETE /redfish/v1/SessionService/Sessions/2 session 204',
    ]);
  });

  it('reports a wrong password as auth-failed without the password', async () => {
    const bmc = await sim();
    const wrong = 'not-the-Pa55word';
    const basic = await failure(driver(bmc, { password: wrong }).status(deadline()));
    const session = await failure(driver(bmc, { password: wrong, auth: 'session' }).status(deadline()));
    expect([basic, session]).toEqual([
      {
        code: 'auth-failed',
        message: `status on BMC ${bmc.url} failed (auth-failed): GET /redfish/v1/Systems: HTTP 401: credentials rejected`,
      },
      {
        code: 'auth-failed',
        message: `status on BMC ${bmc.url} failed (auth-failed): creating a session: session login rejected (check username and password)`,
      },
    ]);
    expect(JSON.stringify([basic, session])).not.toContain(wrong);
    expect(bmc.openSessions()).toBe(0);
  });

  it('verifies TLS: the self-signed certificate is refused, accepted with its CA or when insecure', async () => {
    const bmc = await sim();
    expect(await failure(driver(bmc, { caPem: null }).status(deadline()))).toEqual({
      code: 'auth-failed',
      message: `status on BMC ${bmc.url} failed (auth-failed): TLS certificate of the BMC not trusted (DEPTH_ZERO_SELF_SIGNED_CERT); set its CA or mark it insecure`,
    });
    expect(await driver(bmc, { caPem: cert.cert }).status(deadline())).toBe('off');
    expect(await driver(bmc, { caPem: null, insecure: true }).status(deadline())).toBe('off');
  });

  it('times out at the deadline on a BMC that does not answer, and drops the connection', async () => {
    const bmc = await sim({ delayMs: 10 * 60 * 1000 });
    const d = driver(bmc);
    expect(await failure(d.status(AbortSignal.timeout(300)))).toEqual({
      code: 'timeout',
      message: `status on BMC ${bmc.url} failed (timeout): no answer before the deadline`,
    });
    await bmc.connectionsClosed();
    expect(bmc.openConnections()).toBe(0);
  });

  it('maps 503 to bmc-busy and a general 500 to protocol', async () => {
    const busy = await sim({ failStatus: 503 });
    const broken = await sim({ failStatus: 500 });
    expect(await failure(driver(busy).powerOn(deadline()))).toEqual({
      code: 'bmc-busy',
      message: `powerOn on BMC ${busy.url} failed (bmc-busy): GET /redfish/v1/Systems: HTTP 503: Base.1.8.GeneralError, Base.1.8.ServiceTemporarilyUnavailable: The service is temporarily unavailable. Retry in 10 seconds.`,
    });
    expect(await failure(driver(broken).powerOn(deadline()))).toEqual({
      code: 'protocol',
      message: `powerOn on BMC ${broken.url} failed (protocol): GET /redfish/v1/Systems: HTTP 500: Base.1.8.GeneralError: A general error has occurred.`,
    });
  });
});

describe('Redfish Reset whose answer is lost (connection dropped after the BMC took it)', () => {
  const runCycle = (d: PowerDriver, action: 'cycle' | 'reset' | 'on' = 'cycle') =>
    executeCommand(
      {
        action,
        bootDevice: null,
        bootFirmware: 'uefi',
        plan: 'fresh',
        budgetEnd: Date.now() + 30_000,
        signal: new AbortController().signal,
      },
      {
        driver: d,
        markPhase: async () => undefined,
        onBmcError: () => undefined,
        settings: { retries: 3, retryBackoffMs: 1, callTimeoutMs: 5_000, readbackIntervalMs: 1 },
        now: Date.now,
        sleep: async () => undefined,
      },
    );

  it('is reported unanswered (UND_ERR_SOCKET), and the consumer ends the cycle as interrupted after one PowerCycle', async () => {
    const on = { systems: [{ id: '1', uuid: UUID_1, powerState: 'On' as const }], dropResetAnswers: 1 };
    const first = await sim(on);
    const direct = await driver(first)
      .cycle(deadline())
      .catch((e: unknown) => e);
    const second = await sim(on);
    const result = await runCycle(driver(second));
    expect({
      direct: direct instanceof BmcError && [
        direct.code,
        direct.unanswered,
        direct.message.includes('may have reached'),
      ],
      outcome: [result.outcome, result.error?.code, result.attempts],
      resets: second.systems.get('1')?.resets,
      posts: second.requests.filter((r) => r.startsWith('POST')),
    }).toEqual({
      direct: ['unreachable', true, true],
      outcome: ['error', 'interrupted', 1],
      resets: ['PowerCycle'],
      posts: ['POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset basic dropped'],
    });
  });

  it('an idempotent power on whose answer was lost is retried, and the retry finds it done', async () => {
    const bmc = await sim({ dropResetAnswers: 1 });
    const result = await runCycle(driver(bmc), 'on');
    expect([result.outcome, result.attempts, bmc.systems.get('1')?.resets]).toEqual(['ok', 2, ['On']]);
  });
});

describe('Redfish driver without a BMC', () => {
  let port = 0;
  beforeAll(async () => {
    // A port that was just free: nothing listens there.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reports unreachable, and a bad address without dialling', async () => {
    const d = createRedfishDriver({ address: '127.0.0.1', port, username: 'admin', password: PASSWORD }, { logger });
    open.drivers.push(d);
    expect(await failure(d.status(deadline()))).toEqual({
      code: 'unreachable',
      message: `status on BMC https://127.0.0.1:${port} failed (unreachable): connection failed (ECONNREFUSED)`,
    });
    // Refused before anything was written: a cycle that fails so may be sent again.
    const refused = await d.cycle(deadline()).catch((e: unknown) => e);
    expect(refused instanceof BmcError && [refused.code, refused.unanswered]).toEqual(['unreachable', false]);
    const bad = createRedfishDriver(
      { baseUrl: 'https://root:calvin@10.0.0.1', username: 'root', password: 'calvin' },
      { logger },
    );
    expect(await failure(bad.powerOn(deadline()))).toEqual({
      code: 'unsupported',
      message: 'powerOn on BMC (invalid address) failed (unsupported): BMC URL must not carry credentials',
    });
  });
});
