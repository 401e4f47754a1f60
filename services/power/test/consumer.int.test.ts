import { randomUUID } from 'node:crypto';
import { generateSealKey, parseSealKey, sealSecret } from '@metalbus/secrets';
import { startNats, waitFor, type NatsServer } from '@metalbus/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasIpmiSim, hasIpmitool, ipmitoolPower, startSim, type SimBmc } from './fixtures/ipmi/sim.js';
import { startApiFleet } from './support/api-bmc-fleet.js';
import { makeSelfSignedCert, startRedfishSim } from './support/redfish-sim.js';
import { startHarness, type Harness } from './support/power-harness.js';

// The power command consumer end to end against a real nats-server: real ipmi_sim BMCs (checked with ipmitool)
// and QEMU power-API stand-ins that record what reached them.

const ipmiTools = (await hasIpmiSim()) && (await hasIpmitool());
if (!ipmiTools) {
  console.warn(
    'SKIPPING the ipmi_sim case of consumer.int.test.ts: needs ipmi_sim (apt-get install openipmi) and ipmitool',
  );
}

const SEAL_KEY = generateSealKey();
const key = parseSealKey(SEAL_KEY, 'k1');
if (!key.ok) throw key.error;

describe('power command consumer (real nats-server)', () => {
  let nats: NatsServer;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await nats?.stop();
  });
  async function harness(): Promise<Harness> {
    const h = await startHarness(nats);
    cleanups.push(() => h.close());
    return h;
  }

  it.skipIf(!ipmiTools)(
    'powers an ipmi_sim BMC on with a one-time PXE boot: outcome, change, KV, ipmitool agree',
    async () => {
      const sim: SimBmc = await startSim();
      cleanups.push(() => sim.stop());
      const h = await harness();
      const machineId = randomUUID();
      await h.putBmc({
        machineId,
        driver: 'ipmi',
        address: '127.0.0.1',
        port: sim.port,
        username: 'admin',
        password: sealSecret('pass', key.value),
        cipherSuite: 3,
      });
      await h.replica({ BMC_SEAL_KEY: SEAL_KEY, BMC_SEAL_KEY_ID: 'k1' });
      const requestId = await h.command(machineId, { action: 'on', bootDevice: 'pxe', bootFirmware: 'uefi' });
      const done = await h.outcome(requestId);
      expect({ ...done, at: 'at', durationMs: 0 }).toEqual({
        schema: 1,
        machineId,
        at: 'at',
        requestId,
        action: 'on',
        outcome: 'ok',
        error: null,
        observed: 'on',
        driver: 'ipmi',
        durationMs: 0,
        attempts: 1,
        replayed: false,
      });
      const changed = await waitFor(() => h.changed.find((c) => c.machineId === machineId));
      expect({ state: changed.state, previous: changed.previous, source: changed.source }).toEqual({
        state: 'on',
        previous: null,
        source: 'command',
      });
      const record = (await h.kvGet('power', machineId)) as Record<string, unknown>;
      expect({ ...record, observedAt: 't', lastCommand: { ...(record['lastCommand'] as object), at: 't' } }).toEqual({
        machineId,
        state: 'on',
        observedAt: 't',
        driver: 'ipmi',
        lastCommand: {
          requestId,
          action: 'on',
          bootDevice: 'pxe',
          bootFirmware: 'uefi',
          outcome: 'ok',
          error: null,
          at: 't',
        },
        lastError: null,
      });
      expect([await ipmitoolPower(sim.port), (await sim.state()).boot]).toEqual(['on', 'pxe']);
    },
  );

  it('probes an `auto` record, finds Redfish and cycles it with a one-time PXE boot', async () => {
    const machineId = randomUUID();
    const sim = await startRedfishSim({
      tls: makeSelfSignedCert(),
      systems: [{ id: 'node1', uuid: machineId, powerState: 'On' }],
      password: 'rf-pass',
    });
    cleanups.push(() => sim.close());
    const h = await harness();
    await h.putBmc({
      machineId,
      driver: 'auto',
      address: '127.0.0.1',
      port: sim.port,
      insecure: true,
      username: 'admin',
      password: sealSecret('rf-pass', key.value),
    });
    await h.replica({ BMC_SEAL_KEY: Buffer.from(key.value.bytes).toString('base64'), BMC_SEAL_KEY_ID: 'k1' });
    const requestId = await h.command(machineId, { action: 'cycle', bootDevice: 'pxe', bootFirmware: 'uefi' });
    const done = await h.outcome(requestId);
    expect([done.outcome, done.error, done.driver, done.observed]).toEqual(['ok', null, 'redfish', 'on']);
    const system = sim.systems.get('node1')!;
    expect({ resets: system.resets, booted: system.booted }).toEqual({ resets: ['PowerCycle'], booted: ['Pxe'] });
  });

  it('does not execute a duplicate requestId again: the recorded outcome is replayed', async () => {
    const fleet = await startApiFleet(1);
    cleanups.push(() => fleet.close());
    const bmc = fleet.bmcs[0]!;
    const h = await harness();
    const machineId = randomUUID();
    await h.putBmc({ machineId, driver: 'api', address: bmc.address });
    await h.replica();
    const requestId = await h.command(machineId, { action: 'cycle', bootDevice: 'pxe' });
    const first = await h.outcome(requestId);
    // Re-sent later with the same requestId (past the stream's dedup window: a different Nats-Msg-Id).
    await h.command(machineId, { action: 'cycle', bootDevice: 'pxe', requestId }, `resend-${requestId}`);
    const replayed = await waitFor(() => h.completed.find((c) => c.requestId === requestId && c.replayed));
    expect(replayed).toEqual({ ...first, replayed: true });
    expect(first.outcome).toBe('ok');
    // The machine was off: a cycle powers it on, after the one-time PXE boot. Nothing more reached the BMC.
    expect(bmc.calls).toEqual(['GET /status', 'POST /pxeboot', 'POST /poweron', 'GET /status']);
  });

  it('answers stale and unknown-machine commands without touching any BMC', async () => {
    const fleet = await startApiFleet(1);
    cleanups.push(() => fleet.close());
    const h = await harness();
    const known = randomUUID();
    const unknown = randomUUID();
    await h.putBmc({ machineId: known, driver: 'api', address: fleet.bmcs[0]!.address });
    await h.replica();
    const stale = await h.command(known, { action: 'off', deadline: new Date(Date.now() - 60_000).toISOString() });
    const old = await h.command(known, { action: 'off', at: new Date(Date.now() - 2 * 3600_000).toISOString() });
    const nobody = await h.command(unknown, { action: 'on' });
    const outcomes = await Promise.all([stale, old, nobody].map((id) => h.outcome(id)));
    expect(
      outcomes.map((o) => [o.outcome, o.error?.code, o.error?.message.replace(/\d+ s/g, 'N s'), o.driver, o.attempts]),
    ).toEqual([
      ['expired', 'expired', 'deadline passed N s before the command was taken', null, 0],
      ['expired', 'expired', 'command is N s old, more than the N s allowed without a deadline', null, 0],
      [
        'rejected',
        'unknown-machine',
        `no BMC configured for machine ${unknown} (no record in the bmcs bucket; add one with \`metalbus bmc set\`)`,
        null,
        0,
      ],
    ]);
    expect(fleet.bmcs[0]!.calls).toEqual([]);
  });

  it('reports unusable credentials and driver refusals as error outcomes', async () => {
    const fleet = await startApiFleet(1, { initiallyOn: true });
    cleanups.push(() => fleet.close());
    const h = await harness();
    const sealedMachine = randomUUID();
    const apiMachine = randomUUID();
    await h.replica(); // no seal key; the sealed record appears after start-up
    await h.putBmc({
      machineId: sealedMachine,
      driver: 'ipmi',
      address: '127.0.0.1',
      username: 'admin',
      password: sealSecret('pass', key.value),
    });
    await h.putBmc({ machineId: apiMachine, driver: 'api', address: fleet.bmcs[0]!.address });
    await new Promise((r) => setTimeout(r, 300)); // let the replica's view see both records
    const a = await h.command(sealedMachine, { action: 'on' });
    const b = await h.command(apiMachine, { action: 'soft-off' });
    const [ca, cb] = await Promise.all([h.outcome(a), h.outcome(b)]);
    expect([ca.outcome, ca.error]).toEqual([
      'error',
      {
        code: 'credentials',
        message: `cannot open the BMC password of ${sealedMachine} (seal-key-missing): the secret is sealed with key k1 but no seal key is configured: set BMC_SEAL_KEY to the key it was sealed with`,
      },
    ]);
    expect([cb.outcome, cb.error?.code, cb.observed, cb.attempts, cb.driver]).toEqual([
      'error',
      'unsupported',
      'on',
      1,
      'api',
    ]);
  });

  it('never lets two replicas drive one BMC at the same time', async () => {
    const fleet = await startApiFleet(3, { delayMs: () => 30 });
    cleanups.push(() => fleet.close());
    const h = await harness();
    const machines = fleet.bmcs.map(() => randomUUID());
    for (const [i, m] of machines.entries())
      await h.putBmc({ machineId: m, driver: 'api', address: fleet.bmcs[i]!.address });
    // A small bound so that both replicas get commands (a large one lets the first pull take them all).
    const replicas = await Promise.all([h.replica({ POWER_CONCURRENCY: '4' }), h.replica({ POWER_CONCURRENCY: '4' })]);
    const ids: string[] = [];
    for (let round = 0; round < 6; round++) {
      for (const m of machines) ids.push(await h.command(m, { action: round % 2 === 0 ? 'on' : 'off' }));
    }
    const outcomes = await Promise.all(ids.map((id) => h.outcome(id, 40_000)));
    expect(outcomes.map((o) => o.outcome)).toEqual(ids.map(() => 'ok'));
    expect(fleet.bmcs.map((b) => b.maxActive)).toEqual([1, 1, 1]);
    const workers = await Promise.all(
      ids.map(
        async (id, i) => ((await h.kvGet('power-requests', `${machines[i % 3]}.${id}`)) as { replica: string }).replica,
      ),
    );
    expect(new Set(workers)).toEqual(new Set(replicas.map((r) => r.replica)));
  });
});
