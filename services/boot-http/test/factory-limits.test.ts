import { createHash } from 'node:crypto';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { factoryConfigSchema } from '../src/factory/config.js';
import { startFactoryApp, type FactoryApp } from './fixtures/assets/factory-app.js';
import { pseudoRandomBytes, startFakeFactory, type FakeFactory } from './fixtures/assets/fake-factory.js';

// Bounds on what the factory cache asks of the upstream: FACTORY_MAX_DOWNLOADS downloads at once, then a bounded
// queue of cold images, then 503; and FACTORY_FAILURE_TTL_MS of remembering a failed download (502 from memory).

const id = (n: number): string => createHash('sha256').update(`limits-${n}`).digest('hex');
const imagePath = (n: number, file = 'initramfs-amd64.xz'): string => `/image/${id(n)}/v1.9.0/${file}`;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let fake: FakeFactory | undefined;
let fa: FactoryApp | undefined;
let client: Agent | undefined;
afterEach(async () => {
  await client?.close();
  await fa?.close();
  await fake?.close();
  client = fa = fake = undefined;
});

async function get(app: FactoryApp, path: string, agent: Agent) {
  const res = await request(`${app.url}/factory${path}`, { dispatcher: agent });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, retryAfter: res.headers['retry-after'] ?? null, body };
}

async function waitForMetric(app: FactoryApp, name: string, label: string, value: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if ((await app.metric(name, label)) >= value) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${name}{${label}} never reached ${value}`);
}

describe('factory config', () => {
  it('defaults: 4 downloads, 32 waiting images, failures remembered for 10 s', () => {
    const c = factoryConfigSchema.parse({});
    expect([c.FACTORY_MAX_DOWNLOADS, c.FACTORY_DOWNLOAD_QUEUE, c.FACTORY_FAILURE_TTL_MS]).toEqual([4, 32, 10_000]);
  });
});

describe('FACTORY_MAX_DOWNLOADS and FACTORY_DOWNLOAD_QUEUE', () => {
  it('runs at most N downloads, queues the next cold images, answers 503 beyond the queue', async () => {
    fake = await startFakeFactory();
    fa = await startFactoryApp({
      factoryUrl: fake.url,
      env: { FACTORY_MAX_DOWNLOADS: '2', FACTORY_DOWNLOAD_QUEUE: '1' },
    });
    client = new Agent({ connections: 16 });
    const bodies = [1, 2, 3, 4].map((n) => pseudoRandomBytes(300_000, n));
    bodies.forEach((b, i) => fake?.files.set(imagePath(i + 1), b));
    // Images 1 and 2 stall upstream after 64 KiB: both slots stay taken.
    for (const n of [1, 2]) fake.behave(imagePath(n), { pauseAt: 64 * 1024 });
    const first = [1, 2].map((n) => get(fa as FactoryApp, imagePath(n), client as Agent));
    await Promise.all([fake.paused(imagePath(1)), fake.paused(imagePath(2))]);

    // Image 3 waits for a slot (twice: one queue place); a joiner of a running download needs none.
    const third = [get(fa, imagePath(3), client), get(fa, imagePath(3), client)];
    await waitForMetric(fa, 'metalbus_boot_http_factory_cache_lookups_total', 'result=queued', 2);
    const joiner = get(fa, imagePath(1), client);
    await waitForMetric(fa, 'metalbus_boot_http_factory_cache_lookups_total', 'result=joined', 1);
    const refused = await get(fa, imagePath(4), client);
    const whileFull = {
      stats: fa.factory.cache.stats.inflight + '/' + fa.factory.cache.stats.queued,
      upstream: [1, 2, 3, 4].map((n) => fake?.hits.get(imagePath(n)) ?? 0),
      refused: { ...refused, body: refused.body.toString() },
    };

    fake.release(imagePath(1));
    fake.release(imagePath(2));
    const done = await Promise.all([...first, ...third, joiner]);
    expect({
      whileFull,
      done: done.map((r) => [r.status, sha(r.body)]),
      upstream: [1, 2, 3, 4].map((n) => fake?.hits.get(imagePath(n)) ?? 0),
      busy: await fa.metric('metalbus_boot_http_factory_cache_lookups_total', 'result=busy'),
    }).toEqual({
      whileFull: {
        stats: '2/1',
        upstream: [1, 1, 0, 0],
        refused: {
          status: 503,
          retryAfter: '10',
          body:
            'factory cache busy: 2 image downloads running and 1 waiting (FACTORY_MAX_DOWNLOADS, ' +
            'FACTORY_DOWNLOAD_QUEUE); retry later\n',
        },
      },
      done: [bodies[0], bodies[1], bodies[2], bodies[2], bodies[0]].map((b) => [200, sha(b as Buffer)]),
      upstream: [1, 1, 1, 0],
      busy: 1,
    });
  });
});

describe('FACTORY_FAILURE_TTL_MS', () => {
  it('answers a failed image with the same 502 from memory until the TTL has passed, then fetches again', async () => {
    fake = await startFakeFactory();
    let skew = 0;
    fa = await startFactoryApp({ factoryUrl: fake.url, now: () => Date.now() + skew });
    client = new Agent({ connections: 4 });
    const path = imagePath(5);
    const body = pseudoRandomBytes(100_000, 5);
    fake.files.set(path, body);
    fake.behave(path, { status: 500, times: 1 });
    const text = async () => {
      const r = await get(fa as FactoryApp, path, client as Agent);
      return [r.status, r.body.toString().replace(fake?.url ?? '', 'FAKE')];
    };
    const failed = [await text(), await text()];
    // The kernel's companion prefetch does not refetch the remembered initramfs either.
    fake.files.set(imagePath(5, 'kernel-amd64'), pseudoRandomBytes(1000, 6));
    const kernel = await get(fa, imagePath(5, 'kernel-amd64'), client);
    const hitsWhileRemembered = fake.hits.get(path);
    skew += 10_001;
    const after = await get(fa, path, client);
    expect({
      failed,
      kernel: kernel.status,
      hitsWhileRemembered,
      after: [after.status, sha(after.body)],
      hits: fake.hits.get(path),
      remembered: await fa.metric('metalbus_boot_http_factory_cache_lookups_total', 'result=failed-recently'),
    }).toEqual({
      failed: [
        [502, `upstream error (upstream-status): GET FAKE${path}: HTTP 500\n`],
        [502, `upstream error (upstream-status): GET FAKE${path}: HTTP 500\n`],
      ],
      kernel: 200,
      hitsWhileRemembered: 1,
      after: [200, sha(body)],
      hits: 2,
      remembered: 1,
    });
  });

  it('0 remembers nothing: every request asks the upstream again', async () => {
    fake = await startFakeFactory();
    fa = await startFactoryApp({ factoryUrl: fake.url, env: { FACTORY_FAILURE_TTL_MS: '0' } });
    client = new Agent({ connections: 4 });
    const path = imagePath(7);
    fake.files.set(path, pseudoRandomBytes(1000, 7));
    fake.behave(path, { status: 503, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await get(fa, path, client)).status);
    expect({ statuses, hits: fake.hits.get(path) }).toEqual({ statuses: [502, 502, 200], hits: 3 });
  });
});
