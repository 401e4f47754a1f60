import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, provision, type Bus } from '@metalbus/bus';
import { createLogger } from '@metalbus/telemetry';
import { spawnService, startNats, waitFor, type NatsServer } from '@metalbus/testing';

// The `metalbus` command as a user runs it (bin/metalbus.js), against a real nats-server.

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const ID = '3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c';
let nats: NatsServer;
let bus: Bus;

async function metalbus(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['cli/bin/metalbus.js', ...args], {
      cwd: root,
      env: { ...process.env, ...nats.env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  nats = await startNats();
  bus = await connectBus(
    { NATS_URL: nats.url, ...(nats.namespace && { NATS_NAMESPACE: nats.namespace }) },
    {
      name: 'cli-test',
      logger: createLogger({ service: 'cli-test', level: 'silent' }),
    },
  );
  await provision(bus);
});

afterAll(async () => {
  await bus?.drain();
  await nats?.stop();
});

describe('metalbus CLI', () => {
  it('loads the example data directory and shows it with kv', async () => {
    const load = await metalbus('load', 'examples/data');
    expect(load).toMatchObject({ code: 0 });
    expect(load.stdout.split('\n')).toEqual([
      'examples/data: 1 profiles, 1 groups, 0 templates',
      'put     profiles/talos',
      'put     groups/default',
      '',
    ]);
    const list = await metalbus('kv', 'groups');
    expect(list.stdout).toBe(
      'default  {"id":"default","name":"Every machine boots Talos and registers with Omni","profile":"talos","selector":{},"metadata":{}}\n',
    );
    const one = await metalbus('kv', 'profiles', 'talos', '--json');
    expect(JSON.parse(one.stdout)).toMatchObject({ id: 'talos', boot: { kernel: '/assets/talos/v1.9.0/vmlinuz' } });
  });

  it('replays events from the stream, filtered by machine, as lines or JSON', async () => {
    const at = new Date().toISOString();
    await bus.publish('power.changed', { schema: 1, machineId: ID, at, state: 'on', previous: 'off', source: 'poll' });
    await bus.publish('lifecycle', { schema: 1, machineId: 'mac-525400000001', at, state: 'accepted', detail: null });
    const lines = await metalbus('events', '--since', '5m', '--no-follow', '--machine', ID.toUpperCase());
    expect(lines.code).toBe(0);
    expect(lines.stdout).toBe(`${at}  power.changed      ${ID}  previous=off state=on source=poll\n`);
    const json = await metalbus('events', '--since', '5m', '--no-follow', '--json');
    const events = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; machineId: string });
    expect(events.map((e) => [e.kind, e.machineId])).toEqual([
      ['power.changed', ID],
      ['lifecycle', 'mac-525400000001'],
    ]);
  });

  it('follows live events until Ctrl-C', async () => {
    const follower = spawnService(process.execPath, ['cli/bin/metalbus.js', 'events', '--machine', ID], nats.env, {
      cwd: root,
    });
    try {
      // The follower starts at new messages; publish until it has attached and printed one.
      const line = await waitFor(
        async () => {
          await bus.publish('power.changed', {
            schema: 1,
            machineId: ID,
            at: new Date().toISOString(),
            state: 'off',
            previous: 'on',
            source: 'command',
          });
          return follower.lines.find((l) => / power\.changed /.test(l));
        },
        { timeoutMs: 15_000, intervalMs: 300 },
      );
      expect(line).toMatch(new RegExp(`^\\S+Z  power.changed      ${ID}  previous=on state=off source=command$`));
      expect(await follower.stop('SIGINT', 5_000)).toEqual({ code: 0, signal: null });
    } finally {
      await follower.stop('SIGKILL', 1_000);
    }
  });

  it('answers usage errors with exit code 2 and the usage line', async () => {
    expect(await metalbus('kv', 'nope')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown bucket nope'),
    });
    expect(await metalbus('events', '--since', 'yesterday')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage: metalbus events'),
    });
    expect(await metalbus('frobnicate')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command frobnicate'),
    });
    const help = await metalbus('--help');
    expect(help.code).toBe(0);
    for (const c of ['events', 'kv', 'load', 'power', 'bmc']) expect(help.stdout).toContain(`  ${c}`);
  });

  it('reports a missing key as an error', async () => {
    expect(await metalbus('kv', 'machines', ID)).toMatchObject({ code: 1, stderr: `machines: no key ${ID}\n` });
  });
});
