import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BmcError, type PowerDriver } from '../src/drivers/driver.js';
import { type IpmiDriverOptions, createIpmiDriver } from '../src/drivers/ipmi.js';
import { type IpmiTransport, createIpmiTransport } from '../src/ipmi/transport.js';
import {
  type SimBmc,
  freeUdpPort,
  hasIpmiSim,
  hasIpmitool,
  ipmitool,
  ipmitoolPower,
  startSim,
} from './fixtures/ipmi/sim.js';

/**
 * The native RMCP+ client against real OpenIPMI `ipmi_sim` BMCs (Debian package `openipmi`), each result
 * cross-checked with `ipmitool -I lanplus` (Debian package `ipmitool`) against the same simulator.
 */
const tools = (await hasIpmiSim()) && (await hasIpmitool());
if (!tools)
  console.warn(
    'SKIPPING ipmi.int.test.ts: ipmi_sim (apt-get install openipmi) and ipmitool (apt-get install ipmitool) are required',
  );

const deadline = (ms = 8000): AbortSignal => AbortSignal.timeout(ms);

async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, tries = 60): Promise<T> {
  let v = await probe();
  for (let i = 0; i < tries && !done(v); i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = await probe();
  }
  return v;
}

async function caught(p: Promise<unknown>): Promise<BmcError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BmcError) return err;
    throw err;
  }
  throw new Error('expected a BmcError');
}

describe.skipIf(!tools)('IPMI driver against ipmi_sim', () => {
  const sims: SimBmc[] = [];
  const drivers: PowerDriver[] = [];
  let transport: IpmiTransport;
  let registry: Registry;
  let a: SimBmc;
  let b: SimBmc;
  let c: SimBmc;

  function driver(sim: SimBmc, extra: Partial<IpmiDriverOptions> = {}): PowerDriver {
    const d = createIpmiDriver(
      {
        address: '127.0.0.1',
        port: sim.port,
        username: 'admin',
        password: 'pass',
        cipherSuite: 3,
        timeouts: { attemptMs: 500, attempts: 3 },
        ...extra,
      },
      { transport, registry },
    );
    drivers.push(d);
    return d;
  }

  beforeAll(async () => {
    registry = new Registry();
    transport = createIpmiTransport({ bindAddress4: '127.0.0.1', registry });
    [a, b, c] = await Promise.all([startSim({ name: 'bmca' }), startSim({ name: 'bmcb' }), startSim({ name: 'bmcc' })]);
    sims.push(a, b, c);
  });

  afterAll(async () => {
    await Promise.allSettled(drivers.map((d) => d.close()));
    await transport?.close();
    await Promise.allSettled(sims.map((s) => s.stop()));
  });

  it('reads status, powers on and off; ipmitool agrees at each step', async () => {
    const d = driver(a);
    const seen: string[] = [];
    const step = async (label: string): Promise<void> => {
      seen.push(
        `${label}: ${await d.status(deadline())} / helper ${(await a.state()).power} / ipmitool ${await ipmitoolPower(a.port)}`,
      );
    };
    await step('initial');
    await d.powerOn(deadline());
    await step('after on');
    await d.powerOff(deadline());
    await step('after off');
    expect(seen).toEqual([
      'initial: off / helper 0 / ipmitool off',
      'after on: on / helper 1 / ipmitool on',
      'after off: off / helper 0 / ipmitool off',
    ]);
  });

  it('cycles, resets and soft-offs through Chassis Control (the helper records each)', async () => {
    const d = driver(a);
    await d.powerOn(deadline());
    await d.cycle(deadline());
    // ipmi_sim powers down, then up again about a second later.
    const events = await until(
      () => a.events(),
      (e) => e.slice(-2).join(',') === 'power 0,power 1',
    );
    expect(events.slice(-2)).toEqual(['power 0', 'power 1']);
    await d.reset(deadline());
    await d.softOff(deadline());
    expect((await a.events()).slice(-2)).toEqual(['reset 1', 'shutdown 1']);
    expect([await d.status(deadline()), await ipmitoolPower(a.port)]).toEqual(['on', 'on']);
  });

  it('sets a one-time PXE boot (UEFI), then disk, then clears the override; ipmitool reads parameter 5 back', async () => {
    const d = driver(a);
    const bootparam = async (): Promise<string> => {
      const r = await ipmitool(a.port, ['chassis', 'bootparam', 'get', '5']);
      return /Boot Device Selector : (.*)/.exec(r.stdout)?.[1]?.trim() ?? `ipmitool failed: ${r.stderr}`;
    };
    await d.setBootOnce('pxe', 'uefi', deadline());
    const pxe = [(await a.state()).boot, await bootparam()];
    await d.setBootOnce('disk', 'bios', deadline());
    const disk = [(await a.state()).boot, await bootparam()];
    await d.clearBootOverride(deadline());
    const cleared = [(await a.state()).boot, await bootparam()];
    // ipmi_sim maps "force hard drive" to its helper value "default".
    expect({ pxe, disk, cleared }).toEqual({
      pxe: ['pxe', 'Force PXE'],
      disk: ['default', 'Force Boot from default Hard-Drive'],
      cleared: ['none', 'No override'],
    });
    expect([await d.status(deadline()), await ipmitoolPower(a.port)]).toEqual(['on', 'on']);
  });

  it('boot-once PXE then power on, as the provider does it', async () => {
    const d = driver(b);
    await d.setBootOnce('pxe', 'bios', deadline());
    await d.powerOn(deadline());
    expect([await b.state(), await d.status(deadline()), await ipmitoolPower(b.port)]).toEqual([
      { power: '1', boot: 'pxe' },
      'on',
      'on',
    ]);
    await d.powerOff(deadline());
  });

  it('reuses one session across commands', async () => {
    const before = await sessionsOpened(registry);
    const d = driver(c);
    for (let i = 0; i < 5; i++) await d.status(deadline());
    await d.powerOn(deadline());
    await d.powerOff(deadline());
    expect((await sessionsOpened(registry)) - before).toBe(1);
    expect(await ipmitoolPower(c.port)).toBe('off');
  });

  it('a wrong password is a clear auth-failed error that does not contain the password; ipmitool also fails', async () => {
    const d = driver(a, { password: 'S3cret-Wrong!' });
    const err = await caught(d.status(deadline()));
    expect({ code: err.code, operation: err.operation, target: err.target, transient: err.transient }).toEqual({
      code: 'auth-failed',
      operation: 'status',
      target: `127.0.0.1:${a.port}`,
      transient: false,
    });
    expect(err.message).toContain('wrong password');
    expect(`${err.message} ${String(err.stack)} ${JSON.stringify(err)}`).not.toContain('S3cret-Wrong!');
    const tool = await ipmitool(a.port, ['chassis', 'power', 'status'], { password: 'S3cret-Wrong!' });
    expect([tool.code, await ipmitoolPower(a.port)]).toEqual([1, 'on']);
  });

  it('an unknown user name is auth-failed (RAKP 2 "unauthorized name"); ipmitool also fails', async () => {
    const unknown = await caught(driver(a, { username: 'nobody' }).status(deadline()));
    expect([unknown.code, unknown.message.includes('unauthorized name')]).toEqual(['auth-failed', true]);
    expect((await ipmitool(a.port, ['chassis', 'power', 'status'], { user: 'nobody' })).code).toBe(1);
    // ipmi_sim does not enforce a user's maximum privilege (its anonymous "user"-level account may raise the
    // session to administrator, with ipmitool too), so privilege refusal is not testable against it.
  });

  it('an operator-privilege user can drive power', async () => {
    const d = driver(c, { username: 'oper', password: 'operpass', privilege: 'operator' });
    await d.powerOn(deadline());
    expect([await d.status(deadline()), await ipmitoolPower(c.port)]).toEqual(['on', 'on']);
    await d.powerOff(deadline());
  });

  it('cipher suite 17 is refused by ipmi_sim (unsupported, like ipmitool -C 17); auto falls back to suite 3', async () => {
    const s17 = await caught(driver(a, { cipherSuite: 17 }).status(deadline()));
    expect(s17.code).toBe('unsupported');
    expect(s17.message).toContain('cipher suite 17');
    expect(await ipmitoolPower(a.port, 17)).toMatch(/^ipmitool failed/);
    const auto = driver(a, { cipherSuite: null });
    expect([await auto.status(deadline()), await ipmitoolPower(a.port, 3)]).toEqual(['on', 'on']);
  });

  it('a port where nothing listens fails cleanly as unreachable; a short deadline fails as timeout', async () => {
    const port = await freeUdpPort();
    const silent = createIpmiDriver(
      {
        address: '127.0.0.1',
        port,
        username: 'admin',
        password: 'pass',
        cipherSuite: 3,
        timeouts: { attemptMs: 150, attempts: 2 },
      },
      { transport },
    );
    drivers.push(silent);
    const unreachable = await caught(silent.powerOn(deadline()));
    const slow = createIpmiDriver(
      {
        address: '127.0.0.1',
        port,
        username: 'admin',
        password: 'pass',
        cipherSuite: 3,
        timeouts: { attemptMs: 5000, attempts: 3 },
      },
      { transport },
    );
    drivers.push(slow);
    const timedOut = await caught(slow.status(AbortSignal.timeout(200)));
    expect([
      unreachable.code,
      unreachable.operation,
      unreachable.transient,
      timedOut.code,
      timedOut.operation,
      timedOut.target,
    ]).toEqual(['unreachable', 'power-on', true, 'timeout', 'status', `127.0.0.1:${port}`]);
    expect(timedOut.message).toContain('deadline');
  });

  it('drives three simulators at once over one shared socket, each independently', async () => {
    const [da, db, dc] = [driver(a), driver(b), driver(c)];
    await Promise.all([da.powerOff(deadline()), db.powerOff(deadline()), dc.powerOff(deadline())]);
    await Promise.all([db.powerOn(deadline()), dc.setBootOnce('pxe', 'uefi', deadline())]);
    const ours = await Promise.all([da.status(deadline()), db.status(deadline()), dc.status(deadline())]);
    const theirs = await Promise.all([ipmitoolPower(a.port), ipmitoolPower(b.port), ipmitoolPower(c.port)]);
    const helpers = await Promise.all([a.state(), b.state(), c.state()]);
    expect({ ours, theirs, boots: helpers.map((h) => h.boot) }).toEqual({
      ours: ['off', 'on', 'off'],
      theirs: ['off', 'on', 'off'],
      boots: ['none', 'pxe', 'pxe'],
    });
  });

  it('re-opens the session when the BMC restarted and forgot it', async () => {
    const port = await freeUdpPort();
    let sim = await startSim({ name: 'bmcr', port });
    sims.push(sim);
    const d = createIpmiDriver(
      {
        address: '127.0.0.1',
        port,
        username: 'admin',
        password: 'pass',
        cipherSuite: 3,
        timeouts: { attemptMs: 300, attempts: 2 },
      },
      { transport },
    );
    drivers.push(d);
    expect(await d.status(deadline())).toBe('off');
    await sim.stop();
    sim = await startSim({ name: 'bmcr', port });
    sims.push(sim);
    await sim.setPower(true);
    expect([await d.status(deadline()), await ipmitoolPower(port)]).toEqual(['on', 'on']);
  });
});

async function sessionsOpened(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('metalbus_power_ipmi_sessions_total')?.get();
  return metric?.values.find((v) => v.labels.result === 'ok')?.value ?? 0;
}
