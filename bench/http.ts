/**
 * boot-http asset serving vs nginx, side by side in one run (same sitting: see anchor-figures.md "Read this first").
 *
 *   node --import tsx bench/http.ts [--quick] [--reps N] [--duration S] [--only a,b,c] [--out file.md]
 *        [--size-mb 100] [--connections 64] [--machines 1000] [--kernel-mb 16] [--initrd-mb 64]
 *        [--upstream-delay-ms 0] [--chunk-kb 256] [--client wrk|undici] [--server-prof <dir>]
 *        [--app ./module.ts --app-path '/ipxe?uuid=…' …]
 *
 * (a) big-file download MB/s at 64 connections, the same file from /assets and from nginx (1 worker, auto);
 * (b) small requests: req/s and p99 with autocannon (/assets small file, /ipxe-bin HEAD; the lead's script
 *     endpoint through `--app <module exporting createBenchApp(): Promise<FastifyInstance>>` + `--app-path`);
 * (c) a storm: N machines fetch the factory PXE script, kernel and initramfs through the factory cache, cold,
 *     from a fake factory in this process; time to last byte and upstream fetch count.
 * Prints markdown tables. Everything runs on loopback; nothing outlives the run.
 */
import { randomFillSync } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { existsSync, openSync, writeSync, closeSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import {
  pseudoRandomBytes,
  startFakeFactory,
  type FakeFactory,
} from '../services/boot-http/test/fixtures/assets/fake-factory.js';
import { startNginx, type Nginx } from './http/nginx.js';
import {
  autocannon,
  undiciLatency,
  undiciThroughput,
  wrkThroughput,
  type LatencyResult,
  type ThroughputResult,
} from './http/load.js';
import { cpuSample, cpuSeconds, peakRssMb, run, startChild, stealPct, stopChild } from './http/proc.js';
import { storm } from './http/storm.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string', default: '1' },
    duration: { type: 'string' },
    only: { type: 'string', default: 'a,b,c' },
    out: { type: 'string' },
    'size-mb': { type: 'string', default: '100' },
    connections: { type: 'string', default: '64' },
    machines: { type: 'string', default: '1000' },
    'kernel-mb': { type: 'string' },
    'initrd-mb': { type: 'string' },
    'upstream-delay-ms': { type: 'string', default: '0' },
    'chunk-kb': { type: 'string', default: '256' },
    client: { type: 'string' },
    'server-prof': { type: 'string' },
    app: { type: 'string' },
    'app-path': { type: 'string', multiple: true, default: [] },
  },
});

const quick = args.quick;
const seconds = Number(args.duration ?? (quick ? 3 : 10));
const reps = Number(args.reps);
const only = new Set(args.only.split(','));
const conns = Number(args.connections);
const sizeMb = Number(args['size-mb']);
const machines = Number(args.machines);
const kernelMb = Number(args['kernel-mb'] ?? (quick ? 2 : 16));
const initrdMb = Number(args['initrd-mb'] ?? (quick ? 6 : 64));
const chunkBytes = Number(args['chunk-kb']) * 1024;
const repoRoot = resolve(import.meta.dirname, '..');
const hasWrk = await run('sh', ['-c', 'command -v wrk']).then(
  () => true,
  () => false,
);
const client = args.client ?? (hasWrk ? 'wrk' : 'undici');
const MB = 1e6;
const out: string[] = [];
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const say = (s = ''): void => void out.push(s);
const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '-');

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Random (incompressible) file written in 1 MiB pieces: never the whole file in memory. */
function writeRandomFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const buf = Buffer.allocUnsafe(1024 * 1024);
  for (let left = bytes; left > 0; left -= buf.length) {
    randomFillSync(buf);
    writeSync(fd, buf, 0, Math.min(buf.length, left));
  }
  closeSync(fd);
}

async function startBootHttp(cfg: Record<string, unknown>): Promise<{ child: ChildProcess; url: string }> {
  const { child, match } = await startChild(
    process.execPath,
    [
      ...(args['server-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(args['server-prof'])}`]),
      '--import',
      'tsx',
      join(repoRoot, 'bench/http/server.ts'),
      JSON.stringify(cfg),
    ],
    /listening (\d+)/,
    { cwd: repoRoot },
  );
  return { child, url: `http://127.0.0.1:${match[1]}` };
}

const tmp = await mkdtemp(join(tmpdir(), 'mb-bench-http-'));
const www = join(tmp, 'www');
const ipxeDir = join(tmp, 'ipxe');
const children: ChildProcess[] = [];
const nginxes: Nginx[] = [];
let fake: FakeFactory | null = null;

try {
  await mkdir(www, { recursive: true });
  await mkdir(ipxeDir, { recursive: true });
  log(`preparing ${sizeMb} MB file in ${tmp}`);
  writeRandomFile(join(www, 'big.bin'), sizeMb * MB);
  await writeFile(join(www, 'small.txt'), `${'x'.repeat(299)}\n`);
  if (existsSync('/usr/lib/ipxe/ipxe.efi')) await copyFile('/usr/lib/ipxe/ipxe.efi', join(ipxeDir, 'ipxe.efi'));
  else await writeFile(join(ipxeDir, 'ipxe.efi'), pseudoRandomBytes(1024 * 1024, 5));
  await copyFile(join(ipxeDir, 'ipxe.efi'), join(www, 'ipxe.efi')); // nginx's HEAD reference

  fake = await startFakeFactory();
  const boot = await startBootHttp({
    assetsDir: www,
    ipxeDir,
    factoryUrl: fake.url,
    cacheDir: join(tmp, 'cache'),
    chunkBytes,
  });
  children.push(boot.child);
  const nginx1 = await startNginx({ dir: tmp, root: www, port: await freePort(), workers: '1' });
  nginxes.push(nginx1);
  const nginxAuto = await startNginx({ dir: tmp, root: www, port: await freePort(), workers: 'auto' });
  nginxes.push(nginxAuto);
  const serverCpu = async (target: string): Promise<number> => {
    if (target === 'boot-http') return cpuSeconds(boot.child.pid);
    const n = target === 'nginx-w1' ? nginx1 : nginxAuto;
    return (await n.workerPids()).reduce((a, pid) => a + cpuSeconds(pid), cpuSeconds(n.child.pid));
  };

  say(`# boot-http vs nginx (${new Date().toISOString()}, ${quick ? 'quick' : 'full'} run)`);
  say();
  say(
    `Node ${process.version}; ${(await run('sh', ['-c', 'nginx -v 2>&1'])).trim()}; client for (a): ${client}; ` +
      `server read chunk ${chunkBytes / 1024} KiB; ${reps} rep(s).`,
  );

  // (a) ───────────────────────────────────────────────────────────────────────────────────────────────────────
  if (only.has('a')) {
    const targets: [string, string][] = [
      ['boot-http', `${boot.url}/assets/big.bin`],
      ['nginx-w1', `${nginx1.url}/big.bin`],
      ['nginx-auto', `${nginxAuto.url}/big.bin`],
    ];
    const measure = (url: string, secs: number): Promise<ThroughputResult> =>
      client === 'wrk' ? wrkThroughput(url, conns, secs) : undiciThroughput(url, conns, secs);
    log('(a) warm-up (page cache, JIT)');
    for (const [, url] of targets) await measure(url, 2);
    const rows: { target: string; r: ThroughputResult; cpu: number; steal: number }[] = [];
    for (let rep = 0; rep < reps; rep++) {
      for (const [target, url] of targets) {
        log(`(a) ${target} rep ${rep + 1}`);
        const c0 = await serverCpu(target);
        const s0 = cpuSample();
        const r = await measure(url, seconds);
        rows.push({ target, r, cpu: (await serverCpu(target)) - c0, steal: stealPct(s0, cpuSample()) });
      }
    }
    const median = (t: string): number => {
      const v = rows.filter((x) => x.target === t).map((x) => x.r.mbPerSec);
      v.sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)] ?? NaN;
    };
    say();
    say(`## (a) ${sizeMb} MB file, ${conns} connections, ${seconds} s per run (${client})`);
    say();
    say('| target | rep | requests | MB/s | × nginx-w1 (median) | server CPU s | steal % | errors |');
    say('|---|---|---|---|---|---|---|---|');
    const counts = new Map<string, number>();
    for (const { target, r, cpu, steal } of rows) {
      counts.set(target, (counts.get(target) ?? 0) + 1);
      say(
        `| ${target} | ${counts.get(target)} | ${r.requests} | ${fmt(r.mbPerSec)} | ` +
          `${fmt(r.mbPerSec / median('nginx-w1'), 2)} | ${fmt(cpu, 1)} | ${fmt(steal, 1)} | ${r.errors} |`,
      );
    }
    say();
    say(
      `Median MB/s: boot-http ${fmt(median('boot-http'))}, nginx-w1 ${fmt(median('nginx-w1'))}, ` +
        `nginx-auto ${fmt(median('nginx-auto'))}; boot-http / nginx-w1 = ` +
        `${fmt(median('boot-http') / median('nginx-w1'), 2)}, / nginx-auto = ` +
        `${fmt(median('boot-http') / median('nginx-auto'), 2)} (goal ≥ 0.9).`,
    );
  }

  // (b) ───────────────────────────────────────────────────────────────────────────────────────────────────────
  if (only.has('b')) {
    // [target, request, url, client]. HEAD goes through the undici client: autocannon and wrk wait for a body.
    type Client = 'autocannon' | 'undici-head' | 'undici-get';
    const targets: [string, string, string, Client][] = [
      ['boot-http', 'GET /assets/small.txt (300 B file)', `${boot.url}/assets/small.txt`, 'autocannon'],
      ['fastify (bare)', 'GET /bench/small (300 B string route)', `${boot.url}/bench/small`, 'autocannon'],
      ['nginx-w1', 'GET /small.txt (300 B file)', `${nginx1.url}/small.txt`, 'autocannon'],
      ['boot-http', 'HEAD /ipxe-bin/amd64/ipxe.efi', `${boot.url}/ipxe-bin/amd64/ipxe.efi`, 'undici-head'],
      ['boot-http', 'GET /assets/small.txt (300 B file)', `${boot.url}/assets/small.txt`, 'undici-get'],
      ['nginx-w1', 'HEAD /ipxe.efi', `${nginx1.url}/ipxe.efi`, 'undici-head'],
    ];
    if (args.app !== undefined) {
      const lead = await startBootHttp({ appModule: resolve(args.app) });
      children.push(lead.child);
      for (const p of args['app-path']) targets.push(['lead app', `GET ${p}`, `${lead.url}${p}`, 'autocannon']);
    }
    const load = (url: string, c: Client, secs: number): Promise<LatencyResult> =>
      c === 'autocannon'
        ? autocannon(url, { connections: conns, seconds: secs })
        : undiciLatency(repoRoot, url, {
            connections: conns,
            seconds: secs,
            method: c === 'undici-head' ? 'HEAD' : 'GET',
          });
    say();
    say(`## (b) small requests, ${conns} connections, ${seconds} s per run`);
    say();
    say('| target | request | client | rep | req/s | p50 ms | p99 ms | errors |');
    say('|---|---|---|---|---|---|---|---|');
    for (const [, , url, c] of targets) await load(url, c, 1); // warm-up (JIT)
    for (let rep = 0; rep < reps; rep++) {
      for (const [target, what, url, c] of targets) {
        log(`(b) ${target} ${what} (${c}) rep ${rep + 1}`);
        const r = await load(url, c, seconds);
        say(
          `| ${target} | ${what} | ${c} | ${rep + 1} | ${fmt(r.reqPerSec)} | ${fmt(r.p50Ms, 2)} | ` +
            `${fmt(r.p99Ms, 2)} | ${r.errors} |`,
        );
      }
    }
  }

  // (c) ───────────────────────────────────────────────────────────────────────────────────────────────────────
  if (only.has('c')) {
    const id = 'c'.repeat(64);
    const kernel = pseudoRandomBytes(Math.round(kernelMb * MB), 31);
    const initrd = pseudoRandomBytes(Math.round(initrdMb * MB), 32);
    fake.files.set(`/image/${id}/v1.9.0/kernel-amd64`, kernel);
    fake.files.set(`/image/${id}/v1.9.0/initramfs-amd64.xz`, initrd);
    const delay = Number(args['upstream-delay-ms']);
    if (delay > 0) {
      for (const f of ['kernel-amd64', 'initramfs-amd64.xz'])
        fake.behave(`/image/${id}/v1.9.0/${f}`, { delayMs: delay });
    }
    log(`(c) storm: ${machines} machines, kernel ${kernelMb} MB + initramfs ${initrdMb} MB, cold cache`);
    const c0 = cpuSeconds(boot.child.pid);
    const s0 = cpuSample();
    const r = await storm({
      baseUrl: boot.url,
      pxePath: `/factory/pxe/${id}/v1.9.0/metal-amd64`,
      machines,
      expectedBytes: [kernel.length, initrd.length],
    });
    const fetches = [...fake.hits.entries()]
      .filter(([p]) => p.startsWith(`/image/${id}/`))
      .reduce((a, [, n]) => a + n, 0);
    say();
    say(
      `## (c) storm through the factory cache: ${machines} machines × (PXE script + kernel ${kernelMb} MB + ` +
        `initramfs ${initrdMb} MB), cold${delay > 0 ? `, upstream ${delay} ms per 64 KiB` : ''}`,
    );
    say();
    say(
      '| machines | GB delivered | wall s | TTLB p50 s | TTLB p99 s | TTLB max s | aggregate MB/s | upstream image ' +
        'fetches | errors | server CPU s | server peak RSS MB | steal % |',
    );
    say('|---|---|---|---|---|---|---|---|---|---|---|---|');
    say(
      `| ${r.machines} | ${fmt(r.bytes / 1e9, 2)} | ${fmt(r.seconds, 1)} | ${fmt(r.ttlbP50, 1)} | ` +
        `${fmt(r.ttlbP99, 1)} | ${fmt(r.ttlbMax, 1)} | ${fmt(r.mbPerSec)} | ${fetches} | ${r.errors} | ` +
        `${fmt(cpuSeconds(boot.child.pid) - c0, 1)} | ${peakRssMb(boot.child.pid) ?? '-'} | ${fmt(stealPct(s0, cpuSample()), 1)} |`,
    );
  }
} finally {
  for (const n of nginxes) await n.stop().catch(() => undefined);
  for (const c of children) await stopChild(c).catch(() => undefined);
  await fake?.close();
  await rm(tmp, { recursive: true, force: true });
}

const text = `${out.join('\n')}\n`;
process.stdout.write(text);
if (args.out !== undefined) await writeFile(args.out, text);
