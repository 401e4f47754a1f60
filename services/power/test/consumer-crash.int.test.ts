import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { spawnService, startNats, type NatsServer, type ServiceProcess } from '@metalbus/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFleet, type ApiFleet } from './support/api-bmc-fleet.js';
import { FAST_ENV, startHarness, type Harness } from './support/power-harness.js';

// kill -9 of a power replica while its BMC is working on the action (a QEMU power-API stand-in that applies the
// action on arrival and answers 5 s later). Another replica gets the command after the ack wait, waits out the
// dead replica's lease, reads the crash-safety phase and finishes the command without sending the action again.

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const CRASH_ENV = { COMMAND_ACK_WAIT_S: '2', LEASE_TTL_S: '2' };

describe('power replica killed mid-command (real nats-server, real processes)', () => {
  let nats: NatsServer;
  let fleet: ApiFleet;
  let h: Harness;
  const children: ServiceProcess[] = [];
  beforeAll(async () => {
    nats = await startNats();
    fleet = await startApiFleet(2, { delayMs: (call) => (call.startsWith('POST') ? 5_000 : 0) });
    h = await startHarness(nats);
  });
  afterAll(async () => {
    for (const c of children) await c.stop('SIGKILL');
    await h?.close();
    await fleet?.close();
    await nats?.stop();
  });

  async function spawnReplica(): Promise<ServiceProcess> {
    const child = spawnService(
      process.execPath,
      ['--import', 'tsx', main],
      { ...FAST_ENV, ...h.env, ...CRASH_ENV, LOG_LEVEL: 'info' },
      { cwd: repoRoot },
    );
    children.push(child);
    await child.waitForLine(/"msg":"power ready"/, 30_000);
    return child;
  }

  it('redelivers the command and executes it once: an on is confirmed, not re-sent; a cycle is never repeated', async () => {
    const [onBmc, cycleBmc] = fleet.bmcs as [(typeof fleet.bmcs)[0], (typeof fleet.bmcs)[0]];
    cycleBmc.poweredOn = true;
    const onMachine = randomUUID();
    const cycleMachine = randomUUID();
    await h.putBmc({ machineId: onMachine, driver: 'api', address: onBmc.address });
    await h.putBmc({ machineId: cycleMachine, driver: 'api', address: cycleBmc.address });

    const doomed = await spawnReplica();
    const onRequest = await h.command(onMachine, { action: 'on' });
    const cycleRequest = await h.command(cycleMachine, { action: 'cycle' });
    await Promise.all([fleet.arrived(onBmc, 'POST /poweron'), fleet.arrived(cycleBmc, 'POST /reboot')]);
    expect((await doomed.stop('SIGKILL')).signal).toBe('SIGKILL');

    const survivor = await h.replica(CRASH_ENV);
    const [on, cycle] = await Promise.all([h.outcome(onRequest, 30_000), h.outcome(cycleRequest, 30_000)]);
    expect([on.outcome, on.error, on.observed, on.attempts]).toEqual(['ok', null, 'on', 1]);
    expect([cycle.outcome, cycle.error?.code, cycle.observed]).toEqual(['error', 'interrupted', 'on']);
    // What each BMC saw: the dead replica's state read and action (the API driver's cycle reads the state once
    // more itself); then only the survivor's state read.
    expect(onBmc.calls).toEqual(['GET /status', 'POST /poweron', 'GET /status']);
    expect(cycleBmc.calls).toEqual(['GET /status', 'GET /status', 'POST /reboot', 'GET /status']);
    const record = (await h.kvGet('power-requests', `${onMachine}.${onRequest}`)) as { phase: string; replica: string };
    expect([record.phase, record.replica]).toEqual(['done', survivor.replica]);
    expect(h.completed.filter((c) => c.requestId === onRequest || c.requestId === cycleRequest).length).toBe(2);
  }, 60_000);
});
