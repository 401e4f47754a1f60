// TFTP benchmark: metalbus's server (services/dhcp-proxy/src/tftp) against tftpd-hpa, the Debian server, with the
// same clients and the same load. N workers start together and each fetches a 1 MiB random file M times with a
// fresh client process (curl or busybox, 512-byte and 1468-byte blocks), as in the anchor study
// (/work/shared/reference/anchor-figures.md §3). Every server runs as its own process on 127.0.0.1; within a
// repetition the servers take turns per client (order reversed on odd repetitions) so VM drift hits all of them.
//
//   node --import tsx bench/tftp.ts [--concurrency 200] [--per-worker 1] [--reps 1]
//                                   [--clients curl,curl1468,bb,bb1468] [--workers 2]   (--workers 0,2 compares)
//
// Prints a markdown table: total MB/s (good downloads × 1 MiB ÷ wall time), the ratio to tftpd-hpa with the same
// client (goal ≥ 1.0), failures, our server's CPU seconds, and the whole machine's busy CPU seconds (clients
// included: tftpd-hpa forks a child per transfer that its parent does not account for, so this is the fair
// cost figure). The machine is shared: compare only figures from one run of this script.
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const FILE = 'f1m.bin';
const SIZE = 1024 * 1024;
const HPA = 'tftpd-hpa';
export const CLIENTS = ['curl', 'curl1468', 'bb', 'bb1468'] as const;
export type Client = (typeof CLIENTS)[number];
type Server = { readonly name: string; readonly port: number; readonly child: ChildProcess; readonly ours: boolean };
type Sample = { mbps: number; bad: number; serverCpuS: number; machineCpuS: number };

export type TftpBenchOptions = {
  readonly concurrency: number;
  readonly perWorker: number;
  readonly reps: number;
  readonly clients: readonly Client[];
  /** One metalbus server per value of TFTP_WORKERS. */
  readonly workers: readonly number[];
};

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** utime+stime of a process (all its threads), in seconds, from /proc (Linux, USER_HZ 100). */
async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return ((fields[11] ?? 0) + (fields[12] ?? 0)) / 100; // fields 14 and 15 of stat(5)
}

/** Busy CPU seconds of the whole machine so far (everything but idle and iowait), from /proc/stat. */
async function machineCpuSeconds(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [, ...ticks] = line.trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  return (user + nice + system + irq + softirq + steal) / 100;
}

async function startOurs(dir: string, workers: number): Promise<Server> {
  const port = await freeUdpPort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'tftp/serve.ts'), dir, '127.0.0.1', String(port), String(workers)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`metalbus TFTP server exited (${code})`)));
    child.stdout?.once('data', () => resolve());
  });
  return { name: `metalbus (workers ${workers})`, port, child, ours: true };
}

async function startTftpdHpa(dir: string): Promise<Server> {
  const port = await freeUdpPort();
  // -L: stay in the foreground; -s: chroot to dir (secure mode); -u nobody: drop privileges.
  const child = spawn('in.tftpd', ['-L', '-u', 'nobody', '-s', dir, '-a', `127.0.0.1:${port}`], { stdio: 'inherit' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (child.exitCode !== null) throw new Error(`in.tftpd exited (${child.exitCode})`);
  return { name: HPA, port, child, ours: false };
}

/** One fetch per block size and client family, compared with the file: a benchmark of wrong bytes is worthless. */
async function checkIntegrity(server: Server, expected: string, scratch: string): Promise<void> {
  const out = join(scratch, 'check.bin');
  const url = `tftp://127.0.0.1:${server.port}/${FILE}`;
  const fetches: Array<[string, string[]]> = [
    ['curl', ['-s', '-o', out, url]],
    ['curl', ['-s', '--tftp-blksize', '1468', '-o', out, url]],
    ['busybox', ['tftp', '-g', '-b', '1468', '-r', FILE, '-l', out, '127.0.0.1', String(server.port)]],
  ];
  for (const [file, args] of fetches) {
    await rm(out, { force: true });
    await run(file, args);
    const got = createHash('sha256')
      .update(await readFile(out))
      .digest('hex');
    if (got !== expected) throw new Error(`${server.name}: ${file} ${args.join(' ')} fetched different bytes`);
  }
}

async function measure(server: Server, client: Client, o: TftpBenchOptions): Promise<Sample> {
  const pid = server.child.pid as number;
  const [cpu0, machine0] = [await processCpuSeconds(pid), await machineCpuSeconds()];
  const t0 = performance.now();
  const { stdout } = await run('bash', [
    join(here, 'tftp/load.sh'),
    String(o.concurrency),
    String(o.perWorker),
    client,
    '127.0.0.1',
    String(server.port),
    FILE,
    String(SIZE),
  ]);
  const wallS = (performance.now() - t0) / 1000;
  const [cpu1, machine1] = [await processCpuSeconds(pid), await machineCpuSeconds()];
  const [ok = 0, bad = 0] = stdout.trim().split(/\s+/).map(Number);
  return { mbps: (ok * SIZE) / 1e6 / wallS, bad, serverCpuS: cpu1 - cpu0, machineCpuS: machine1 - machine0 };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (x: number, digits = 1): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(digits));

export async function runTftpBench(o: TftpBenchOptions): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), 'mb-tftp-bench-'));
  const servers: Server[] = [];
  try {
    const root = join(scratch, 'root');
    await mkdir(root);
    const data = randomBytes(SIZE);
    await writeFile(join(root, FILE), data);
    // tftpd-hpa drops to nobody and chroots into root: everything on the way must be readable by others.
    await chmod(scratch, 0o755);
    await chmod(root, 0o755);
    await chmod(join(root, FILE), 0o644);
    const expected = createHash('sha256').update(data).digest('hex');
    for (const w of o.workers) servers.push(await startOurs(root, w));
    servers.push(await startTftpdHpa(root));
    for (const s of servers) await checkIntegrity(s, expected, scratch);

    const samples = new Map<string, Sample[]>();
    for (let rep = 0; rep < o.reps; rep++) {
      for (const client of o.clients) {
        for (const server of rep % 2 === 0 ? servers : [...servers].reverse()) {
          const sample = await measure(server, client, o);
          const key = `${client}|${server.name}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          console.error(
            `${client} ${server.name} rep ${rep + 1}: ${fmt(sample.mbps)} MB/s, ${sample.bad} failed, ` +
              `server cpu ${fmt(sample.serverCpuS, 2)} s, machine cpu ${fmt(sample.machineCpuS, 2)} s`,
          );
        }
      }
    }

    const rows = o.clients.flatMap((client) => {
      const hpa = median((samples.get(`${client}|${HPA}`) ?? []).map((s) => s.mbps));
      return servers.map((server) => {
        const xs = samples.get(`${client}|${server.name}`) ?? [];
        const mbps = median(xs.map((s) => s.mbps));
        const cells = [
          client,
          server.name,
          fmt(mbps),
          server.ours ? `${fmt(mbps / hpa, 2)}×` : '1.00×',
          String(xs.reduce((n, s) => n + s.bad, 0)),
          server.ours ? fmt(median(xs.map((s) => s.serverCpuS)), 2) : 'n/a',
          fmt(median(xs.map((s) => s.machineCpuS)), 2),
        ];
        return `| ${cells.join(' | ')} |`;
      });
    });
    return [
      `TFTP, ${o.concurrency} clients × ${o.perWorker} fetch(es) of 1 MiB each, 127.0.0.1, ${o.reps} rep(s), medians; ` +
        `Node ${process.version}`,
      '',
      '| client | server | MB/s | vs tftpd-hpa | failures | server CPU s | machine CPU s |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    await Promise.all(
      servers.map((s) => (s.child.exitCode === null ? new Promise((r) => s.child.once('exit', r)) : null)),
    );
    await rm(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '200' },
      'per-worker': { type: 'string', default: '1' },
      reps: { type: 'string', default: '1' },
      clients: { type: 'string', default: CLIENTS.join(',') },
      workers: { type: 'string', default: '2' },
    },
  });
  const clients = values.clients.split(',').filter((c): c is Client => (CLIENTS as readonly string[]).includes(c));
  console.log(
    await runTftpBench({
      concurrency: Number(values.concurrency),
      perWorker: Number(values['per-worker']),
      reps: Number(values.reps),
      clients,
      workers: values.workers.split(',').map(Number),
    }),
  );
}
