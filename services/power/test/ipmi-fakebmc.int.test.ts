import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { BmcError, type PowerDriver } from '../src/drivers/driver.js';
import { type IpmiDriverOptions, createIpmiDriver } from '../src/drivers/ipmi.js';
import { type FakeBmc, type FakeBmcOptions, startFakeBmc } from './fixtures/ipmi/fake-bmc.js';

/**
 * The client against an independent in-test RMCP+ BMC (fixtures/ipmi/fake-bmc.ts, node:crypto only) over real
 * loopback UDP: cipher suite 17, which ipmi_sim lacks, and Broken BMCs (lossy, busy, noisy).
 */
const PASSWORD = 'fake-Pa55word';
let bmcs: FakeBmc[] = [];
let drivers: PowerDriver[] = [];

afterEach(async () => {
  await Promise.allSettled(drivers.map((d) => d.close()));
  await Promise.allSettled(bmcs.map((b) => b.close()));
  bmcs = [];
  drivers = [];
});

async function setup(
  bmc: Partial<FakeBmcOptions>,
  opts: Partial<IpmiDriverOptions> = {},
  registry?: Registry,
): Promise<{ bmc: FakeBmc; d: PowerDriver }> {
  const fake = await startFakeBmc({ username: 'admin', password: PASSWORD, suites: [17], ...bmc });
  bmcs.push(fake);
  const d = createIpmiDriver(
    {
      address: '127.0.0.1',
      port: fake.port,
      username: 'admin',
      password: PASSWORD,
      cipherSuite: 17,
      timeouts: { attemptMs: 150, attempts: 4 },
      ...opts,
    },
    registry ? { registry } : {},
  );
  drivers.push(d);
  return { bmc: fake, d };
}

const deadline = (): AbortSignal => AbortSignal.timeout(5000);

async function counter(registry: Registry, name: string): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

describe('IPMI client against an independent fake RMCP+ BMC', () => {
  it('cipher suite 17: status, power on, boot-once PXE (UEFI) with the set-in-progress handshake, clear, close', async () => {
    const { bmc, d } = await setup({});
    const seen = [await d.status(deadline())];
    await d.powerOn(deadline());
    seen.push(await d.status(deadline()));
    await d.setBootOnce('pxe', 'uefi', deadline());
    const flags = [bmc.state.bootFlags];
    await d.clearBootOverride(deadline());
    flags.push(bmc.state.bootFlags);
    await d.close();
    // Close Session carries the BMC's random session ID: normalised before the whole-log comparison.
    const log = bmc.state.log.map((l) => l.replace(/^6\/3c [0-9a-f]{8}$/, '6/3c <session id>'));
    expect({ seen, flags, opened: bmc.state.sessionsOpened, closed: bmc.state.sessionsClosed, log }).toEqual({
      seen: ['off', 'on'],
      flags: ['a004000000', '8000000000'],
      opened: 1,
      closed: 1,
      log: [
        '6/3b 04', // Set Session Privilege Level: administrator
        '0/1',
        '0/2 01',
        '0/1',
        '0/8 0001', // parameter 0: set in progress
        '0/8 05a004000000', // parameter 5: valid, one-time, EFI, force PXE
        '0/8 0000', // parameter 0: set complete
        '0/8 0001',
        '0/8 058000000000',
        '0/8 0000',
        '6/3c <session id>',
      ],
    });
  });

  it('never sends the password: no datagram carries its bytes', async () => {
    const { bmc, d } = await setup({});
    await d.powerOn(deadline());
    const wire = Buffer.concat(bmc.received);
    expect([bmc.received.length > 0, wire.includes(Buffer.from(PASSWORD))]).toEqual([true, false]);
  });

  it('auto mode settles on suite 3 for a suite-3-only BMC; a fixed suite 3 against a suite-17-only BMC is unsupported', async () => {
    const auto = await setup({ suites: [3] }, { cipherSuite: null });
    expect(await auto.d.status(deadline())).toBe('off');
    const fixed = await setup({ suites: [17] }, { cipherSuite: 3 });
    const err = await fixed.d.status(deadline()).catch((e: unknown) => e);
    expect(err instanceof BmcError && [err.code, err.transient]).toEqual(['unsupported', false]);
  });

  it('a wrong password fails RAKP 2 verification as auth-failed with suite 17 too', async () => {
    const { d } = await setup({}, { password: 'not-it' });
    const err = await d.status(deadline()).catch((e: unknown) => e);
    expect(err instanceof BmcError && [err.code, err.message.includes('not-it')]).toEqual(['auth-failed', false]);
  });

  it('retransmits through a lossy BMC (first 3 datagrams dropped)', async () => {
    const registry = new Registry();
    const { d } = await setup({ dropFirst: 3 }, {}, registry);
    expect(await d.status(deadline())).toBe('off');
    expect(await counter(registry, 'metalbus_power_ipmi_retransmits_total')).toBe(3);
  });

  it('maps completion code 0xC0 to a transient bmc-busy error', async () => {
    const { d } = await setup({ busy: true });
    const err = await d.powerOn(deadline()).catch((e: unknown) => e);
    expect(err instanceof BmcError && [err.code, err.transient, err.operation]).toEqual(['bmc-busy', true, 'power-on']);
  });

  it('ignores garbage datagrams arriving before the real answers (counted as dropped)', async () => {
    const registry = new Registry();
    const { d } = await setup({ garbageFirst: true }, {}, registry);
    await d.powerOn(deadline());
    expect(await d.status(deadline())).toBe('on');
    expect(await counter(registry, 'metalbus_power_ipmi_dropped_datagrams_total')).toBeGreaterThan(0);
  });

  it('stops asking for "set in progress" once the BMC refused it', async () => {
    const { bmc, d } = await setup({ noSetInProgress: true });
    await d.setBootOnce('pxe', 'bios', deadline());
    await d.setBootOnce('disk', 'uefi', deadline());
    expect(bmc.state.log.filter((l) => l.startsWith('0/8'))).toEqual([
      '0/8 0001',
      '0/8 058004000000',
      '0/8 05a008000000',
    ]);
  });
});
