import { Registry } from 'prom-client';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BootIntent } from '@metalbus/events';
import { createSchematicClient, renderSchematic } from '../src/factory/schematic.js';
import {
  AGENT_EXTENSIONS,
  createRequestHints,
  fixedState,
  warmSchematics,
  type FactoryPort,
  type RequestHints,
  type ScriptSettings,
  type ScriptState,
} from '../src/scripts/index.js';
import { startFakeFactory, type FakeFactory } from './fixtures/assets/fake-factory.js';
import { BASE, UUID, build, get, intent, settingsFrom, type Built } from './scripts-helpers.js';

// warmSchematics: a boot-intents put that will need a factory schematic creates it in the background, with the
// inputs the route will use, so /ipxe then answers from the schematic client's memory instead of a POST.

const Q = `/ipxe?uuid=${UUID}&mac=52-54-00-12-34-56&arch=x86_64`;
const put = (value: BootIntent) => ({
  op: 'put' as const,
  kvKey: value.machineId,
  value,
  previous: undefined,
  revision: 1,
});

/** State whose intents can change, as the view's do. */
function liveState(): ScriptState & { intents: { get(k: string): BootIntent | undefined; set(i: BootIntent): void } } {
  const map = new Map<string, BootIntent>();
  return {
    ...fixedState({}),
    intents: { get: (k) => map.get(k), set: (i) => void map.set(i.machineId, i) },
  };
}

type Logged = { level: string; msg: string };
function recorder() {
  const logged: Logged[] = [];
  return {
    logged,
    logger: {
      warn: (_o: unknown, msg?: string) => void logged.push({ level: 'warn', msg: msg ?? '' }),
      debug: (_o: unknown, msg?: string) => void logged.push({ level: 'debug', msg: msg ?? '' }),
    } as never,
  };
}

async function warmCounts(registry: Registry): Promise<Record<string, number>> {
  const m = await registry.getSingleMetric('metalbus_boot_http_schematic_warm_total')?.get();
  return Object.fromEntries((m?.values ?? []).map((v) => [String(v.labels['result']), v.value]));
}

let fake: FakeFactory;
let agent: Agent;
let built: Built | undefined;
beforeEach(async () => {
  fake = await startFakeFactory();
  agent = new Agent({ connections: 4 });
});
afterEach(async () => {
  await built?.app.close();
  built = undefined;
  await agent.close();
  await fake.close();
});

function setup(settings: ScriptSettings, factory?: FactoryPort) {
  const state = liveState();
  const hints = createRequestHints();
  const schematics = factory ?? createSchematicClient({ baseUrl: fake.url, dispatcher: agent, timeoutMs: 5000 });
  const registry = new Registry();
  const { logged, logger } = recorder();
  const warm = warmSchematics({ state, settings, factory: schematics, hints, logger, registry });
  return { state, hints, schematics, registry, logged, warm };
}

describe('warmSchematics', () => {
  it('after an agent intent put, /ipxe answers without a new upstream POST (ADVERTISE_URL set: both arches)', async () => {
    const settings = settingsFrom({ ADVERTISE_URL: BASE });
    const s = setup(settings);
    const i = intent({ mode: 'agent' });
    s.state.intents.set(i);
    s.warm(put(i));
    await s.warm.idle();
    const warmed = fake.posts.length;
    built = await build(s.state, { settings, factory: s.schematics, hints: s.hints });
    const answer = await get(built.app, Q);
    expect({ warmed, answer: answer.status, posts: fake.posts.length, counts: await warmCounts(s.registry) }).toEqual({
      warmed: 2, // amd64 and arm64 consoles differ; the machine has not said which it is
      answer: 200,
      posts: 2,
      counts: { warmed: 2 },
    });
    expect(fake.posts[0]?.body).toBe(
      renderSchematic({
        extraKernelArgs: [
          `talos.config=${BASE}/config?u=\${uuid}`,
          'metal.provider.address=10.0.0.2:50042',
          'console=tty0',
          'console=ttyS0',
        ],
        officialExtensions: [...AGENT_EXTENSIONS],
      }),
    );
  });

  it('without ADVERTISE_URL it uses the base URL and arch of the machine’s last /ipxe request', async () => {
    const settings = settingsFrom({});
    const s = setup(settings);
    built = await build(s.state, { settings, factory: s.schematics, hints: s.hints });
    const before = await get(built.app, `/ipxe?uuid=${UUID}&mac=52-54-00-12-34-56&arch=arm64`); // no intent yet
    const i = intent({ mode: 'install', talosVersion: 'v1.13.0', extensions: ['siderolabs/iscsi-tools'] });
    s.state.intents.set(i);
    s.warm(put(i));
    await s.warm.idle();
    const warmed = fake.posts.length;
    const after = await get(built.app, `/ipxe?uuid=${UUID}&mac=52-54-00-12-34-56&arch=arm64`);
    expect({ before: before.status, warmed, after: after.body.split('/factory/pxe/')[1]?.split('/').slice(1) }).toEqual(
      { before: 404, warmed: 1, after: ['v1.13.0', 'metal-arm64\n'] },
    );
    expect(fake.posts.length).toBe(1);
  });

  it('warms only intents that will need a schematic; without any base URL it only counts a skip', async () => {
    const s = setup(settingsFrom({ ADVERTISE_URL: BASE }));
    const id = (n: number) => `4c4c4544-0000-4000-8000-00000000000${n}`;
    const intents = [
      intent({ mode: 'disk', machineId: id(1) }),
      intent({ mode: 'install', talosVersion: 'v1.13.0', schematicId: 'b'.repeat(64), machineId: id(2) }),
      intent({ mode: 'agent', cordoned: true, machineId: id(3) }),
      intent({ mode: 'install', rejected: true, talosVersion: 'v1.13.0', machineId: id(4) }),
      intent({ mode: 'agent', machineId: id(5) }),
    ];
    for (const i of intents) {
      s.state.intents.set(i);
      s.warm(put(i));
    }
    s.warm({ op: 'delete', kvKey: id(5), previous: intents[4], revision: 2 });
    await s.warm.idle();
    expect({ posts: fake.posts.length, counts: await warmCounts(s.registry) }).toEqual({
      posts: 2,
      counts: { warmed: 2 },
    });

    const nowhere = setup(settingsFrom({}));
    nowhere.state.intents.set(intent({ mode: 'agent' }));
    nowhere.warm(put(intent({ mode: 'agent' })));
    await nowhere.warm.idle();
    const local = setup(settingsFrom({ ADVERTISE_URL: BASE, AGENT_ASSETS: 'local' }));
    local.state.intents.set(intent({ mode: 'agent' }));
    local.warm(put(intent({ mode: 'agent' })));
    await local.warm.idle();
    expect({
      posts: fake.posts.length,
      nowhere: await warmCounts(nowhere.registry),
      logged: nowhere.logged,
      local: await warmCounts(local.registry),
    }).toEqual({
      posts: 2,
      nowhere: { skipped: 1 },
      logged: [{ level: 'debug', msg: 'schematic not warmed: no ADVERTISE_URL and no request seen yet' }],
      local: {},
    });
  });

  it('a failed warm-up is logged and counted; the route then asks the factory itself', async () => {
    const settings = settingsFrom({ ADVERTISE_URL: BASE });
    const s = setup(settings);
    s.hints.remember(UUID, { base: BASE, arch: 'amd64' });
    fake.schematicBehaviour.status = 503;
    fake.schematicBehaviour.times = 1;
    const i = intent({ mode: 'agent' });
    s.state.intents.set(i);
    s.warm(put(i));
    await s.warm.idle();
    built = await build(s.state, { settings, factory: s.schematics, hints: s.hints });
    expect({
      counts: await warmCounts(s.registry),
      logged: s.logged,
      answer: (await get(built.app, Q)).status,
      posts: fake.posts.length,
    }).toEqual({
      counts: { failed: 1 },
      logged: [{ level: 'warn', msg: 'schematic warm-up failed; /ipxe will ask the image factory itself' }],
      answer: 200,
      posts: 2,
    });
  });

  it('coalesces puts per machine and drops beyond maxPending', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow: FactoryPort = {
      ensureSchematic: async () => {
        calls++;
        await gate;
        return 'c'.repeat(64);
      },
    };
    const state = liveState();
    const hints: RequestHints = createRequestHints();
    const registry = new Registry();
    const warm = warmSchematics({
      state,
      settings: settingsFrom({ ADVERTISE_URL: BASE }),
      factory: slow,
      hints,
      logger: recorder().logger,
      registry,
      maxPending: 1,
    });
    const ids = ['4c4c4544-0000-4000-8000-000000000001', '4c4c4544-0000-4000-8000-000000000002'];
    for (const id of ids) hints.remember(id, { base: BASE, arch: 'amd64' });
    const a = intent({ mode: 'agent', machineId: ids[0] });
    const b = intent({ mode: 'agent', machineId: ids[1] });
    state.intents.set(a);
    state.intents.set(b);
    warm(put(a)); // starts at once (no longer pending)
    warm(put(b)); // pending
    warm(put(b)); // the same machine again: coalesced
    warm(put(intent({ mode: 'agent', machineId: '4c4c4544-0000-4000-8000-000000000003' }))); // queue full
    release();
    await warm.idle();
    expect({ calls, counts: await warmCounts(registry) }).toEqual({ calls: 2, counts: { warmed: 2, dropped: 1 } });
  });
});
