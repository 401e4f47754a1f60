import { randomUUID } from 'node:crypto';
import { startNats, waitFor, type NatsServer } from '@metalbus/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFleet, type ApiFleet } from './support/api-bmc-fleet.js';
import { startHarness, type Harness } from './support/power-harness.js';

// A command storm: 1,000 commands for 50 BMCs (QEMU power-API stand-ins, 5 ms per request) into two replicas with
// POWER_CONCURRENCY=8. The fleet-wide bound is the shared durable's max_ack_pending, so the BMCs never see more
// than 8 commands at once, never two at once on one BMC, and every command gets its outcome.

const COMMANDS = 1_000;
const BMCS = 50;
const BOUND = 8;

describe('power command storm (real nats-server)', () => {
  let nats: NatsServer;
  let fleet: ApiFleet;
  let h: Harness;
  beforeAll(async () => {
    nats = await startNats();
    fleet = await startApiFleet(BMCS, { delayMs: () => 5 });
    h = await startHarness(nats);
  });
  afterAll(async () => {
    await h?.close();
    await fleet?.close();
    await nats?.stop();
  });

  it('throttles 1,000 commands to the fleet-wide bound and completes every one', async () => {
    const machines = fleet.bmcs.map(() => randomUUID());
    for (const [i, m] of machines.entries())
      await h.putBmc({ machineId: m, driver: 'api', address: fleet.bmcs[i]!.address });
    const env = { POWER_CONCURRENCY: String(BOUND), LEASE_WAIT_MS: '100' };
    await Promise.all([h.replica(env), h.replica(env)]);
    const actions = ['on', 'off', 'cycle', 'status'] as const;
    const ids: string[] = [];
    for (let start = 0; start < COMMANDS; start += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => start + j);
      ids.push(
        ...(await Promise.all(
          batch.map((n) => h.command(machines[n % BMCS]!, { action: actions[Math.floor(n / BMCS) % actions.length]! })),
        )),
      );
    }
    await waitFor(() => new Set(h.completed.map((c) => c.requestId)).size >= COMMANDS, {
      timeoutMs: 50_000,
      intervalMs: 200,
      what: `${COMMANDS} outcomes`,
    });
    const byId = new Map(h.completed.map((c) => [c.requestId, c]));
    const outcomes = ids.map((id) => byId.get(id)?.outcome ?? 'missing');
    expect({
      outcomes: Object.fromEntries(
        ['ok', 'error', 'expired', 'rejected', 'missing'].map((o) => [o, outcomes.filter((x) => x === o).length]),
      ),
      fleetWithinBound: fleet.maxActive() <= BOUND,
      perBmcMax: Math.max(...fleet.bmcs.map((b) => b.maxActive)),
      duplicates: h.completed.filter((c) => !c.replayed).length - COMMANDS,
    }).toEqual({
      outcomes: { ok: COMMANDS, error: 0, expired: 0, rejected: 0, missing: 0 },
      fleetWithinBound: true,
      perBmcMax: 1,
      duplicates: 0,
    });
  }, 60_000);
});
