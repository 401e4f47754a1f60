import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateEvent } from '@metalbus/events';
import { readDataDir } from '@metalbus/matchbox';
import { tmpDir, type TmpDir } from '@metalbus/testing';
import { fixedState } from '../src/scripts/index.js';
import { pseudoRandomBytes } from './fixtures/assets/fake-factory.js';
import { build, type Built } from './scripts-helpers.js';

// Seed 002 "as written": the Omni kernel parameters of its Matchbox profile reach the machine verbatim, over a
// real HTTP socket on loopback (fetch, as iPXE would GET it), and the kernel and initramfs URLs the script names
// serve the bytes of the assets directory.

const SEED = join(import.meta.dirname, 'fixtures', 'matchbox', 'seed-002');
let built: Built;
let base: string;
let assets: TmpDir;
// What the seed's profile names: /assets/talos/v1.9.0/{vmlinuz,initramfs.xz} (several 256 KiB read chunks each).
const KERNEL = pseudoRandomBytes(1_234_567, 21);
const INITRAMFS = pseudoRandomBytes(2_345_678, 22);
const sha = (b: Buffer | ArrayBuffer): string =>
  createHash('sha256')
    .update(Buffer.from(b as ArrayBuffer))
    .digest('hex');

beforeAll(async () => {
  const data = await readDataDir(SEED);
  expect({ errors: data.errors, skipped: data.skipped }).toEqual({ errors: [], skipped: ['README.md'] });
  assets = await tmpDir('boot-http-seed-assets');
  await mkdir(join(assets.path, 'talos', 'v1.9.0'), { recursive: true });
  await writeFile(join(assets.path, 'talos', 'v1.9.0', 'vmlinuz'), KERNEL);
  await writeFile(join(assets.path, 'talos', 'v1.9.0', 'initramfs.xz'), INITRAMFS);
  built = await build(fixedState({ profiles: data.profiles, groups: data.groups }), {}, { assetsRoot: assets.path });
  const address = await built.app.listen({ host: '127.0.0.1', port: 0 });
  base = address;
});
afterAll(async () => {
  await built.app.close();
  await assets?.cleanup();
});

describe('seed 002 profile over real HTTP', () => {
  it('chains from /boot.ipxe to /ipxe and renders the Omni kernel parameters verbatim', async () => {
    const bootstrap = await fetch(`${base}/boot.ipxe`);
    expect(bootstrap.status).toBe(200);
    const chain = (await bootstrap.text()).split('\n').find((line) => line.startsWith('chain '));
    expect(chain).toBe(
      `chain --replace ${base}/ipxe?uuid=\${uuid}&mac=\${mac:hexhyp}&domain=\${domain:uristring}&hostname=\${hostname:uristring}&serial=\${serial:uristring}&arch=\${buildarch:uristring}&platform=\${platform:uristring}&bootstrap=1 ||`,
    );

    // What iPXE requests after expanding the settings of a QEMU machine.
    const next = built.nextPublish();
    const res = await fetch(
      `${base}/ipxe?uuid=8a1b2c3d-0000-4000-8000-525400123456&mac=52-54-00-12-34-56&domain=&hostname=&serial=&arch=x86_64&platform=pcbios`,
    );
    const body = await res.text();
    expect({
      status: res.status,
      type: res.headers.get('content-type'),
      length: res.headers.get('content-length'),
    }).toEqual({
      status: 200,
      type: 'text/plain; charset=utf-8',
      length: String(Buffer.byteLength(body)),
    });
    expect(body).toBe(
      [
        '#!ipxe',
        `kernel ${base}/assets/talos/v1.9.0/vmlinuz initrd=initramfs.xz init_on_alloc=1 slab_nomerge pti=on console=tty0 console=ttyS0 printk.devkmsg=on talos.platform=metal siderolink.api=grpc://192.168.1.8:8090?jointoken=<your-token> talos.events.sink=[fdae:41e4:649b:9303::1]:8090 talos.logging.kernel=tcp://[fdae:41e4:649b:9303::1]:8092`,
        `initrd ${base}/assets/talos/v1.9.0/initramfs.xz`,
        'boot',
        '',
      ].join('\n'),
    );
    const kernelArgs = (body.split('\n')[1] ?? '').split(' ').slice(2);
    expect(kernelArgs.filter((a) => /^(siderolink\.api|talos\.events\.sink|talos\.logging\.kernel)=/.test(a))).toEqual([
      'siderolink.api=grpc://192.168.1.8:8090?jointoken=<your-token>',
      'talos.events.sink=[fdae:41e4:649b:9303::1]:8090',
      'talos.logging.kernel=tcp://[fdae:41e4:649b:9303::1]:8092',
    ]);

    // The machine's next two GETs: every URL the script names, byte for byte what the assets directory holds.
    const urls = body.split('\n').flatMap((line) => (/^(kernel|initrd) (\S+)/.exec(line) ?? []).slice(2));
    const fetched = [];
    for (const url of urls) {
      const asset = await fetch(url);
      fetched.push({
        url,
        status: asset.status,
        length: asset.headers.get('content-length'),
        sha: sha(await asset.arrayBuffer()),
      });
    }
    expect(fetched).toEqual([
      {
        url: `${base}/assets/talos/v1.9.0/vmlinuz`,
        status: 200,
        length: String(KERNEL.length),
        sha: sha(KERNEL),
      },
      {
        url: `${base}/assets/talos/v1.9.0/initramfs.xz`,
        status: 200,
        length: String(INITRAMFS.length),
        sha: sha(INITRAMFS),
      },
    ]);

    const { event } = await next;
    expect(validateEvent('boot.script', event)).toEqual({
      schema: 1,
      machineId: '8a1b2c3d-0000-4000-8000-525400123456',
      at: '2026-08-22T10:00:00.000Z',
      mode: 'profile',
      status: 200,
      profileId: 'talos',
      groupId: 'default',
      replica: 'boot-http-0',
      mac: '52:54:00:12:34:56',
      arch: 'amd64',
      remoteAddress: '127.0.0.1',
    });
  });

  it('/config has nothing to serve in profile mode', async () => {
    const res = await fetch(`${base}/config?u=8a1b2c3d-0000-4000-8000-525400123456`);
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/^no join config: /);
  });

  it('a publisher that never settles does not hold the reply', async () => {
    const stuck = await build(fixedState({}), { publish: () => new Promise(() => undefined) });
    const address = await stuck.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/ipxe?mac=52:54:00:12:34:56`);
    expect(res.status).toBe(404);
    await res.text();
    await stuck.app.close();
  });
});
