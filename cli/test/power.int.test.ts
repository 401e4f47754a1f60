import { connectBus, provision, type Bus } from '@metalbus/bus';
import { decodeEvent, type PowerRequestedEvent } from '@metalbus/events';
import { createLogger } from '@metalbus/telemetry';
import { freshNamespace, startNats, waitFor, type NatsServer } from '@metalbus/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../src/command.js';
import { powerCommand } from '../src/commands/power.js';

// `metalbus power` against a real nats-server; a stand-in for the power service answers each command.

const ID = '4c4c4544-0051-3010-8052-b4c04f564433';

describe('metalbus power (real nats-server)', () => {
  let nats: NatsServer;
  let bus: Bus;
  const seen: PowerRequestedEvent[] = [];
  beforeAll(async () => {
    nats = await startNats();
    bus = await connectBus(
      { NATS_URL: nats.url, NATS_NAMESPACE: freshNamespace() },
      { name: 'cli-test', logger: createLogger({ service: 'cli-test', level: 'silent', pretty: false }) },
    );
    await provision(bus);
    const sub = bus.nc.subscribe(bus.names.pattern('power.requested'));
    void (async () => {
      for await (const m of sub) {
        const local = bus.names.local(m.subject);
        const d = local === null ? null : decodeEvent(local, m.data);
        if (!d?.ok || d.kind !== 'power.requested') continue;
        seen.push(d.event);
        if (d.event.reason === 'no-answer') continue;
        await bus.publish('power.completed', {
          schema: 1,
          machineId: d.event.machineId,
          at: new Date().toISOString(),
          requestId: d.event.requestId,
          action: d.event.action,
          outcome: d.event.action === 'soft-off' ? 'error' : 'ok',
          error: d.event.action === 'soft-off' ? { code: 'unsupported', message: 'no soft off' } : null,
          observed: 'on',
          driver: 'ipmi',
          durationMs: 12,
          attempts: 1,
        });
      }
    })();
  });
  afterAll(async () => {
    await bus?.drain();
    await nats?.stop();
  });

  function context() {
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CliContext = {
      bus: async () => bus,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      env: { USER: 'tester' },
      interrupted: new Promise(() => undefined),
    };
    return { ctx, out, err };
  }

  it('publishes the command and, with --wait, prints its outcome', async () => {
    const { ctx, out, err } = context();
    expect(await powerCommand.run([ID, 'on', '--boot', 'pxe', '--wait'], ctx)).toBe(0);
    const request = seen.at(-1)!;
    expect([request.action, request.bootDevice, request.requestedBy]).toEqual(['on', 'pxe', 'cli:tester']);
    expect({ out, err }).toEqual({ out: [`${ID} on: ok state=on driver=ipmi duration=12ms attempts=1`], err: [] });
  });

  it('exits 1 on an error outcome, prints JSON with --json, and returns at once without --wait', async () => {
    const a = context();
    expect(await powerCommand.run([ID, 'soft-off', '--wait', '--json'], a.ctx)).toBe(1);
    expect(JSON.parse(a.out[0]!)).toMatchObject({ outcome: 'error', error: { code: 'unsupported' }, replayed: false });
    const b = context();
    expect(await powerCommand.run([ID, 'off'], b.ctx)).toBe(0);
    // Without --wait the command returns once published; the stand-in sees it a moment later.
    const off = await waitFor(() => seen.find((r) => r.action === 'off'));
    expect(b.out).toEqual([`requested off for ${ID} (requestId ${off.requestId})`]);
  });

  it('gives up after --timeout when no power service answers', async () => {
    const { ctx, err } = context();
    expect(await powerCommand.run([ID, 'status', '--timeout', '1', '--reason', 'no-answer'], ctx)).toBe(1);
    expect(err).toEqual([
      `no outcome within 1 s for requestId ${seen.at(-1)!.requestId}: is the power service running?`,
    ]);
  });
});
