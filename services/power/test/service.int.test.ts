import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { generateSealKey, parseSealKey, sealSecret } from '@metalbus/secrets';
import { freePort, spawnService, startNats, type NatsServer, type ServiceProcess } from '@metalbus/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiFleet, type ApiFleet } from './support/api-bmc-fleet.js';
import { FAST_ENV, startHarness, type Harness } from './support/power-harness.js';

// The power service as a process (src/main.ts through tsx): start-up checks, /readyz, /metrics, and a clean stop
// on SIGTERM that hands a running command back instead of holding the process up.

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const key = parseSealKey(generateSealKey(), 'k1');
if (!key.ok) throw key.error;

describe('power service process (real nats-server)', () => {
  let nats: NatsServer;
  let fleet: ApiFleet;
  const harnesses: Harness[] = [];
  const children: ServiceProcess[] = [];
  beforeAll(async () => {
    nats = await startNats();
    fleet = await startApiFleet(1, { delayMs: (call) => (call === 'POST /poweron' ? 8_000 : 0) });
  });
  afterAll(async () => {
    for (const c of children) await c.stop('SIGKILL');
    for (const h of harnesses) await h.close();
    await fleet?.close();
    await nats?.stop();
  });

  async function harness(): Promise<Harness> {
    const h = await startHarness(nats);
    harnesses.push(h);
    return h;
  }
  function spawn(env: Record<string, string>): ServiceProcess {
    const child = spawnService(process.execPath, ['--import', 'tsx', main], env, { cwd: repoRoot });
    children.push(child);
    return child;
  }

  it('refuses to start when sealed BMC passwords exist and BMC_SEAL_KEY is not set', async () => {
    const h = await harness();
    const machineId = randomUUID();
    await h.putBmc({
      machineId,
      driver: 'ipmi',
      address: '10.0.0.9',
      username: 'admin',
      password: sealSecret('pw', key.value),
    });
    const child = spawn({ ...FAST_ENV, ...h.env, LOG_LEVEL: 'silent' });
    const exit = await child.exited;
    expect({ code: exit.code, lines: child.lines }).toEqual({
      code: 1,
      lines: [
        `power: cannot start: 1 bmcs record(s) have sealed passwords (first: ${machineId}, key id k1) but BMC_SEAL_KEY is not set: set it to the base64 key they were sealed with`,
      ],
    });
  }, 30_000);

  it('answers /readyz, and on SIGTERM hands its running command back and exits 0', async () => {
    const h = await harness();
    const bmc = fleet.bmcs[0]!;
    const machineId = randomUUID();
    await h.putBmc({ machineId, driver: 'api', address: bmc.address });
    const port = await freePort();
    const child = spawn({ ...FAST_ENV, ...h.env, LOG_LEVEL: 'info', OPS_PORT: String(port), OPS_ADDRESS: '127.0.0.1' });
    await child.waitForLine(/"msg":"power ready"/, 30_000);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({
      status: 200,
      body: {
        ready: true,
        checks: [
          { name: 'nats', ok: true },
          { name: `view:${h.namespace}-bmcs`, ok: true },
          { name: `view:${h.namespace}-power`, ok: true },
          { name: 'commands', ok: true },
        ],
      },
    });
    const requestId = await h.command(machineId, { action: 'on' });
    await fleet.arrived(bmc, 'POST /poweron');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^metalbus_power_commands_in_flight 1$/m);

    expect(await child.stop('SIGTERM', 10_000)).toEqual({ code: 0, signal: null });
    expect(child.lines.some((l) => l.includes('"msg":"command handed back for redelivery"'))).toBe(true);

    // Another replica finishes it: the BMC already took the power-on, so it is confirmed, not sent again.
    await h.replica();
    const done = await h.outcome(requestId);
    expect([done.outcome, done.observed]).toEqual(['ok', 'on']);
    expect(bmc.calls.filter((c) => c === 'POST /poweron')).toEqual(['POST /poweron']);
  }, 60_000);
});
