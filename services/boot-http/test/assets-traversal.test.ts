import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetRoutes } from '../src/assets/local-routes.js';
import { splitAssetPath } from '../src/assets/asset-path.js';
import { harness, makeAssetTree, SECRET, type AssetTree, type Harness } from './fixtures/assets/tree.js';

/** Send the request line byte for byte (no client normalises dot-segments or re-encodes anything). */
function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    sock.write(Buffer.from(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1'));
  });
}

// Hostile request targets and the exact status each must get. 404 everywhere except where Node's own HTTP parser
// or fastify's router rejects the request line first (400). Never 200, never the secret.
const HOSTILE: [string, number][] = [
  ['/assets/../outside/secret.txt', 404],
  ['/assets/talos/../../outside/secret.txt', 404],
  ['/assets/%2e%2e/outside/secret.txt', 404],
  ['/assets/%2E%2E/%2E%2E/etc/passwd', 404],
  ['/assets/.%2e/outside/secret.txt', 404],
  ['/assets/..%2foutside%2fsecret.txt', 404],
  ['/assets/..%2Foutside/secret.txt', 404],
  ['/assets/..\\outside\\secret.txt', 404],
  ['/assets/..%5coutside%5csecret.txt', 404],
  ['/assets/talos/v1.9.0/vmlinuz%00.txt', 404],
  ['/assets/%00', 404],
  ['/assets/%252e%252e/outside/secret.txt', 404],
  ['/assets/%c0%ae%c0%ae/outside/secret.txt', 400], // overlong UTF-8: the router cannot decode it
  ['/assets//etc/passwd', 404],
  ['/assets/link-out', 404],
  ['/assets/link-dir/secret.txt', 404],
  ['/assets/.hidden', 404],
  ['/assets/fifo', 404],
  ['/assets/talos', 404],
  ['/assets/talos/v1.9.0/', 404],
  ['/assets/', 404],
  ['/assets/%', 400], // fastify's router: malformed percent-encoding
  ['/assets/talos/v1.9.0/vmlinuz/..', 404],
];

describe('/assets/* refuses traversal (raw request lines over real HTTP)', () => {
  let tree: AssetTree;
  let h: Harness;
  let port: number;

  beforeAll(async () => {
    tree = await makeAssetTree();
    h = harness();
    await h.app.register(assetRoutes, { root: tree.root, reporter: h.reporter });
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await h.app.close();
    await tree.cleanup();
  });

  it('answers every hostile path with the expected status and never the secret', async () => {
    const got: [string, number][] = [];
    for (const [target] of HOSTILE) {
      const res = await rawGet(port, target);
      expect(res.body).not.toContain(SECRET);
      got.push([target, res.status]);
    }
    expect(got).toEqual(HOSTILE);
  });

  it('still serves the legitimate file and the inside symlink', async () => {
    const a = await rawGet(port, '/assets/talos/v1.9.0/meta.json');
    const b = await rawGet(port, '/assets/link-in');
    expect([a.status, a.body, b.status]).toEqual([200, '{"talos":"v1.9.0"}\n', 200]);
  });

  it('counts refusals by reason', async () => {
    const text = await h.registry.metrics();
    const reasons = [...text.matchAll(/refused_total\{source="local",reason="([a-z-]+)"\}/g)].map((m) => m[1]).sort();
    // (%c0%ae… and a lone % never reach the handler: the router cannot decode them and answers 400 itself;
    // the pure splitAssetPath test below covers our own bad-encoding refusal.)
    expect(reasons).toEqual([
      'backslash',
      'control-char',
      'directory',
      'dot-segment',
      'empty',
      'encoded-slash',
      'hidden',
      'not-a-file',
      'outside-root',
    ]);
  });
});

describe('splitAssetPath (pure)', () => {
  it('splits and decodes safe paths, refuses the rest by reason', () => {
    const inputs = [
      'talos/v1.9.0/vmlinuz',
      'talos/v1.9.0/kernel%20x?y=1',
      '',
      'a//b',
      'a/',
      '..',
      'a/%2e%2E/b',
      '.git/config',
      'a%2fb',
      'a\\b',
      'a%5cb',
      'a%00b',
      'a%0ab',
      '%e0%a4%a',
      'x/'.repeat(20) + 'y',
    ];
    expect(inputs.map((i) => splitAssetPath(i))).toEqual([
      { ok: true, value: ['talos', 'v1.9.0', 'vmlinuz'] },
      { ok: true, value: ['talos', 'v1.9.0', 'kernel x'] },
      { ok: false, error: 'empty' },
      { ok: false, error: 'empty' },
      { ok: false, error: 'directory' },
      { ok: false, error: 'dot-segment' },
      { ok: false, error: 'dot-segment' },
      { ok: false, error: 'hidden' },
      { ok: false, error: 'encoded-slash' },
      { ok: false, error: 'backslash' },
      { ok: false, error: 'backslash' },
      { ok: false, error: 'control-char' },
      { ok: false, error: 'control-char' },
      { ok: false, error: 'bad-encoding' },
      { ok: false, error: 'too-long' },
    ]);
  });
});
