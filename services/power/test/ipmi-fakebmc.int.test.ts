import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { executeCommand } from '../src/commands/execute.js';
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

  describe('a lost reply to a non-idempotent Chassis Control', () => {
    // Close Session of the session dropped after the silence goes out in the background: not part of the story.
    const commands = (bmc: FakeBmc) => bmc.state.log.filter((l) => !l.startsWith('6/3c'));

    it('sends a power cycle once: no retransmission, no re-send in a re-opened session; the error says unanswered', async () => {
      const registry = new Registry();
      const { bmc, d } = await setup({ dropRepliesTo: { '0/2 02': 1 } }, {}, registry);
      await d.status(deadline()); // the session is open and reused from here on
      const err = await d.cycle(deadline()).catch((e: unknown) => e);
      expect({
        error: err instanceof BmcError && [err.code, err.operation, err.unanswered],
        log: commands(bmc),
        sessions: bmc.state.sessionsOpened,
        retransmits: await counter(registry, 'metalbus_power_ipmi_retransmits_total'),
      }).toEqual({
        error: ['unreachable', 'cycle', true],
        log: ['6/3b 04', '0/1', '0/2 02'],
        sessions: 1,
        retransmits: 0,
      });
    });

    it('the command consumer ends a cycle/reset without answer as interrupted and never repeats it', async () => {
      const results = [];
      for (const [action, line] of [
        ['cycle', '0/2 02'],
        ['reset', '0/2 03'],
      ] as const) {
        const { bmc, d } = await setup({ dropRepliesTo: { [line]: 1 } });
        await d.powerOn(deadline());
        const phases: string[] = [];
        const result = await executeCommand(
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
            markPhase: async (phase) => void phases.push(phase),
            onBmcError: () => undefined,
            settings: { retries: 3, retryBackoffMs: 1, callTimeoutMs: 5_000, readbackIntervalMs: 1 },
            now: Date.now,
            sleep: async () => undefined,
          },
        );
        results.push({
          outcome: [result.outcome, result.error?.code, result.attempts, result.step],
          phases,
          sent: commands(bmc).filter((l) => l === line).length,
        });
      }
      expect(results).toEqual([
        { outcome: ['error', 'interrupted', 1, 'cycle'], phases: ['sending'], sent: 1 },
        { outcome: ['error', 'interrupted', 1, 'reset'], phases: ['sending'], sent: 1 },
      ]);
    });

    it('still retransmits idempotent power on/off, whose repetition is harmless', async () => {
      const { bmc, d } = await setup({ dropRepliesTo: { '0/2 01': 1 } });
      await d.powerOn(deadline());
      expect(commands(bmc)).toEqual(['6/3b 04', '0/2 01', '0/2 01']);
    });

    it('a cycle that never left (no session could be opened) is not unanswered: safe to retry', async () => {
      const { bmc, d } = await setup({ dropFirst: 1_000 }, { timeouts: { attemptMs: 50, attempts: 2 } });
      const err = await d.cycle(deadline()).catch((e: unknown) => e);
      expect({
        error: err instanceof BmcError && [err.code, err.operation, err.unanswered],
        log: bmc.state.log,
      }).toEqual({ error: ['unreachable', 'cycle', false], log: [] });
    });
  });
});
