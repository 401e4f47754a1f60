import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FactoryError } from '../src/factory/errors.js';
import { brokenSchematics, createSchematicClient, fixedSchematics, renderSchematic } from '../src/factory/schematic.js';
import { fakeSchematicId, startFakeFactory, type FakeFactory } from './fixtures/assets/fake-factory.js';

const AGENT_ARGS = {
  extraKernelArgs: ['talos.config=http://10.5.0.1:50042/config?u=${uuid}', 'metal.provider.address=10.5.0.1:50042'],
  officialExtensions: ['siderolabs/intel-ucode', 'siderolabs/metal-agent'],
};

describe('schematic client against a fake factory', () => {
  let fake: FakeFactory;
  let agent: Agent;

  beforeAll(async () => {
    fake = await startFakeFactory();
    agent = new Agent({ connections: 4 });
  });
  afterAll(async () => {
    await agent.close();
    await fake.close();
  });

  it('100 identical concurrent calls → one POST; the id is then cached by content', async () => {
    const client = createSchematicClient({ baseUrl: fake.url, dispatcher: agent, timeoutMs: 5000 });
    fake.schematicBehaviour.delayMs = 50; // keep the POST in flight while the others arrive
    fake.schematicBehaviour.times = 1;
    const ids = await Promise.all(Array.from({ length: 100 }, () => client.ensureSchematic(AGENT_ARGS)));
    const again = await client.ensureSchematic({ ...AGENT_ARGS }); // same content, new object
    const body = renderSchematic(AGENT_ARGS);
    expect({ unique: [...new Set([...ids, again])], posts: fake.posts }).toEqual({
      unique: [fakeSchematicId(body)],
      posts: [{ contentType: 'application/yaml', body }],
    });
    // Different content (argument order matters on a kernel command line) → a second POST.
    const other = await client.ensureSchematic({
      ...AGENT_ARGS,
      extraKernelArgs: [...AGENT_ARGS.extraKernelArgs].reverse(),
    });
    expect([fake.posts.length, other === ids[0]]).toEqual([2, false]);
  });

  it('does not remember failures; maps status, bad body and timeout to codes', async () => {
    const client = createSchematicClient({ baseUrl: fake.url, dispatcher: agent, timeoutMs: 300 });
    const s = { extraKernelArgs: ['x=1'], officialExtensions: [] };
    const code = (p: Promise<unknown>): Promise<string> =>
      p.then(
        () => 'ok',
        (e: unknown) => (e instanceof FactoryError ? `${e.code}:${String(e.upstreamStatus)}` : String(e)),
      );
    fake.schematicBehaviour.status = 500;
    fake.schematicBehaviour.times = 1;
    const first = await code(client.ensureSchematic(s));
    const second = await code(client.ensureSchematic(s));
    fake.schematicBehaviour.delayMs = 2000;
    fake.schematicBehaviour.times = 1;
    const slow = await code(client.ensureSchematic({ extraKernelArgs: ['slow=1'], officialExtensions: [] }));
    const refused = await code(
      createSchematicClient({ baseUrl: 'http://127.0.0.1:9', dispatcher: agent, timeoutMs: 1000 }).ensureSchematic(s),
    );
    expect([first, second, slow, refused]).toEqual([
      'upstream-status:500',
      'ok',
      'upstream-timeout:null',
      'upstream-connect:null',
    ]);
  });

  it('fakes for the script side: fixed records calls, broken rejects with a code', async () => {
    const fixed = fixedSchematics('f'.repeat(64));
    const id = await fixed.ensureSchematic({ extraKernelArgs: ['a'], officialExtensions: ['b'] });
    const err = await brokenSchematics('upstream-timeout')
      .ensureSchematic({ extraKernelArgs: [], officialExtensions: [] })
      .catch((e: unknown) => e);
    expect([id, fixed.calls, err instanceof FactoryError ? err.code : null]).toEqual([
      'f'.repeat(64),
      [{ extraKernelArgs: ['a'], officialExtensions: ['b'] }],
      'upstream-timeout',
    ]);
  });
});
