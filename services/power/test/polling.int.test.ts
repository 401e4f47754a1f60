import { randomUUID } from 'node:crypto';
import { generateSealKey, parseSealKey, sealSecret } from '@metalbus/secrets';
import { startNats, waitFor, type NatsServer } from '@metalbus/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bmcIdentity } from '../src/leases/bmc-identity.js';
import { hasIpmiSim, hasIpmitool, ipmitool, startSim, type SimBmc } from './fixtures/ipmi/sim.js';
import { startApiFleet, type ApiFleet } from './support/api-bmc-fleet.js';
import { startHarness, type Harness } from './support/power-harness.js';

// State polling against real BMC stand-ins: the `power` record and power.changed follow what the BMCs report,
// replicas share the work through the per-BMC lease, and BMCs busy elsewhere are skipped.

const ipmiTools = (await hasIpmiSim()) && (await hasIpmitool());
if (!ipmiTools)
  console.warn(
    'polling.int.test.ts: ipmi_sim/ipmitool missing (apt-get install openipmi ipmitool): polling API BMCs only',
  );
const key = parseSealKey(generateSealKey(), 'k1');
if (!key.ok) throw key.error;

describe('power state polling (real nats-server)', () => {
  let nats: NatsServer;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await nats?.stop();
  });
  async function setup(count: number, delayMs = 0): Promise<{ h: Harness; fleet: ApiFleet; machines: string[] }> {
    const fleet = await startApiFleet(count, { delayMs: () => delayMs });
    cleanups.push(() => fleet.close());
    const h = await startHarness(nats);
    cleanups.push(() => h.close());
    const machines = fleet.bmcs.map(() => randomUUID());
    for (const [i, m] of machines.entries())
      await h.putBmc({ machineId: m, driver: 'api', address: fleet.bmcs[i]!.address });
    return { h, fleet, machines };
  }
  const stateOf = async (h: Harness, machineId: string) =>
    ((await h.kvGet('power', machineId)) as { state?: string } | undefined)?.state;

  it('records every BMC state and publishes power.changed when one changes (API and ipmi_sim)', async () => {
    const { h, fleet, machines } = await setup(2);
    fleet.bmcs[0]!.poweredOn = true;
    let sim: SimBmc | null = null;
    const ipmiMachine = randomUUID();
    if (ipmiTools) {
      sim = await startSim();
      const s = sim;
      cleanups.push(() => s.stop());
      await h.putBmc({
        machineId: ipmiMachine,
        driver: 'ipmi',
        address: '127.0.0.1',
        port: sim.port,
        username: 'admin',
        password: sealSecret('pass', key.value),
        cipherSuite: 3,
      });
    }
    const all = ipmiTools ? [...machines, ipmiMachine] : machines;
    await h.replica({
      POLL_INTERVAL_S: '1',
      BMC_SEAL_KEY: Buffer.from(key.value.bytes).toString('base64'),
      BMC_SEAL_KEY_ID: 'k1',
    });
    const first = await waitFor(async () => {
      const states = await Promise.all(all.map((m) => stateOf(h, m)));
      return states.every((s) => s !== undefined) ? states : null;
    });
    expect(first).toEqual(ipmiTools ? ['on', 'off', 'off'] : ['on', 'off']);

    fleet.bmcs[0]!.poweredOn = false;
    if (sim !== null) expect((await ipmitool(sim.port, ['chassis', 'power', 'on'])).code).toBe(0);
    await waitFor(
      async () =>
        (await stateOf(h, machines[0]!)) === 'off' && (!ipmiTools || (await stateOf(h, ipmiMachine)) === 'on'),
      {
        timeoutMs: 15_000,
      },
    );
    const changes = (m: string) =>
      h.changed.filter((c) => c.machineId === m).map((c) => `${c.previous}→${c.state} (${c.source})`);
    const expected = [
      ['null→on (poll)', 'on→off (poll)'],
      ['null→off (poll)'],
      ...(ipmiTools ? [['null→off (poll)', 'off→on (poll)']] : []),
    ];
    // power.changed is published next to the KV write, so it may land a moment after the state is visible.
    await waitFor(() => JSON.stringify(all.map(changes)) === JSON.stringify(expected), { timeoutMs: 5_000 }).catch(
      () => undefined,
    );
    expect(all.map(changes)).toEqual(expected);
  }, 45_000);

  it('never has two replicas (or a poll and a command) on one BMC at once', async () => {
    // Slow BMCs (40 ms a request) so that start-up polls, later polls and commands have every chance to collide.
    const { h, fleet, machines } = await setup(4, 40);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      for (const m of machines) ids.push(await h.command(m, { action: i % 2 === 0 ? 'on' : 'off' }));
    await Promise.all([h.replica({ POLL_INTERVAL_S: '1' }), h.replica({ POLL_INTERVAL_S: '1' })]);
    await Promise.all(ids.map((id) => h.outcome(id)));
    const polled = (b: ApiFleet['bmcs'][number]) => b.calls.filter((c) => c === 'GET /status').length;
    const after = fleet.bmcs.map(polled);
    await waitFor(() => fleet.bmcs.every((b, i) => polled(b) >= (after[i] as number) + 2), {
      timeoutMs: 15_000,
      what: 'two more polls per BMC',
    });
    expect(fleet.bmcs.map((b) => b.maxActive)).toEqual([1, 1, 1, 1]);
  }, 45_000);

  it('skips a BMC whose lease is held elsewhere and reports unusable credentials', async () => {
    const { h, fleet, machines } = await setup(2);
    const sealedMachine = randomUUID();
    // Sealed under a key this replica does not have (k2; it holds k1): start-up only warns, polls report it.
    const other = parseSealKey(generateSealKey(), 'k2');
    if (!other.ok) throw other.error;
    await h.putBmc({
      machineId: sealedMachine,
      driver: 'ipmi',
      address: '127.0.0.1',
      username: 'a',
      password: sealSecret('p', other.value),
    });
    const replica = await h.replica({
      POLL_INTERVAL_S: '0',
      BMC_SEAL_KEY: Buffer.from(key.value.bytes).toString('base64'),
      BMC_SEAL_KEY_ID: 'k1',
    });
    await waitFor(async () => {
      const r = await replica.pollAll();
      return Object.keys(r).length === 3;
    });
    fleet.bmcs[0]!.calls.length = 0;
    const leases = await h.bus.kvm.open(`${h.namespace}-power-leases`);
    await leases.create(
      bmcIdentity({ address: fleet.bmcs[0]!.address, port: null, driver: 'api' }).key,
      '{"replica":"elsewhere"}',
    );
    expect(await replica.pollAll()).toEqual({
      [machines[0]!]: 'lease',
      [machines[1]!]: 'ok',
      [sealedMachine]: 'credentials',
    });
    expect(fleet.bmcs[0]!.calls).toEqual([]);
  }, 30_000);
});
