// `npm start`: the whole metalbus stack as local processes, for development. Starts a nats-server (unless
// NATS_URL is set) and the four services, prefixes their logs, prints what listens where, and stops everything
// on Ctrl-C. Run as root on a PXE network for the real DHCP/TFTP ports; otherwise they move to high ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const isRoot = process.getuid?.() === 0;
const colors = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m'];
const reset = process.stdout.isTTY ? '\x1b[0m' : '';
const children: { name: string; child: ChildProcess }[] = [];
let stopping = false;

function say(line: string): void {
  process.stdout.write(`[start] ${line}\n`);
}

function findNatsServer(): string | null {
  for (const candidate of ['nats-server', '/usr/sbin/nats-server', '/usr/local/bin/nats-server']) {
    if (spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return null;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** On a terminal, pino's JSON lines become `12:00:01 INFO  message key=value`; piped output stays JSON. */
function readable(line: string): string {
  if (!process.stdout.isTTY || !line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const time = new Date(Number(entry['time'])).toISOString().slice(11, 19);
    const rest = Object.entries(entry)
      .filter(([k]) => !OMIT.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${time} ${LEVELS[Number(entry['level'])] ?? entry['level']} ${String(entry['msg'] ?? '')}${rest ? `  ${rest}` : ''}`;
  } catch {
    return line;
  }
}

function run(name: string, cmd: string, args: string[], env: Record<string, string>, index: number): ChildProcess {
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const color = process.stdout.isTTY ? (colors[index % colors.length] as string) : '';
  const prefix = `${color}${name.padEnd(11)}${reset}| `;
  for (const stream of [child.stdout, child.stderr]) {
    if (stream)
      createInterface({ input: stream }).on('line', (line) => {
        // nats-server's banner is noise here; its warnings and errors are not.
        if (name === 'nats' && !/\[(WRN|ERR|FTL)\]/.test(line)) return;
        process.stdout.write(prefix + readable(line) + '\n');
      });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping the stack`);
      void stopAll(1);
    }
  });
  children.push({ name, child });
  return child;
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  const services = children.filter((c) => c.name !== 'nats');
  const nats = children.filter((c) => c.name === 'nats');
  for (const group of [services, nats]) {
    await Promise.all(
      group.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 6_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
  if (natsDir !== null) rmSync(natsDir, { recursive: true, force: true });
  say('stopped');
  process.exit(code);
}

let natsDir: string | null = null;
let natsUrl = process.env['NATS_URL'];
if (natsUrl === undefined || natsUrl === '') {
  const binary = findNatsServer();
  if (binary === null) {
    process.stderr.write(
      'npm start needs a NATS server with JetStream and none was found.\n' +
        '  Debian/Ubuntu: sudo apt-get install nats-server\n' +
        '  elsewhere:     https://docs.nats.io/running-a-nats-service/introduction/installation\n' +
        'or point NATS_URL at a server you already run (it needs JetStream: nats-server -js).\n',
    );
    process.exit(1);
  }
  const port = Number(process.env['METALBUS_NATS_PORT'] ?? 14222);
  const monitorPort = Number(process.env['METALBUS_NATS_MONITOR_PORT'] ?? port + 1);
  if (await portAnswers(port)) {
    process.stderr.write(`port ${port} is taken; set METALBUS_NATS_PORT or NATS_URL\n`);
    process.exit(1);
  }
  natsDir = mkdtempSync(join(tmpdir(), 'metalbus-nats-'));
  natsUrl = `nats://127.0.0.1:${port}`;
  const nats = run(
    'nats',
    binary,
    ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', natsDir],
    {},
    4,
  );
  const deadline = Date.now() + 10_000;
  while (!(await portAnswers(port))) {
    if (Date.now() > deadline || nats.exitCode !== null) {
      say('nats-server did not start');
      await stopAll(1);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  say(`nats-server on ${natsUrl} (monitoring http://127.0.0.1:${monitorPort}), store ${natsDir}`);
}

const advertise = process.env['ADVERTISE_ADDRESS'] ?? '127.0.0.1';
const httpPort = process.env['HTTP_PORT'] ?? '8080';
const common = { NATS_URL: natsUrl, ADVERTISE_ADDRESS: advertise, HTTP_PORT: httpPort };
// Without root the privileged UDP ports cannot be bound: run DHCP and TFTP on high ports instead, so the rest of
// the stack still works (a test client can use them; real firmware cannot).
const privileged: Record<string, string> = isRoot
  ? {}
  : {
      DHCP_PORT: process.env['DHCP_PORT'] ?? '10067',
      DHCP_PXE_PORT: process.env['DHCP_PXE_PORT'] ?? '14011',
      TFTP_PORT: process.env['TFTP_PORT'] ?? '10069',
    };
if (!isRoot) say('not root: DHCP on 10067/14011 and TFTP on 10069 instead of 67/4011/69 (real firmware needs root)');

const services: { name: string; ops: string; env: Record<string, string> }[] = [
  { name: 'dhcp-proxy', ops: '9101', env: privileged },
  {
    name: 'boot-http',
    ops: '9102',
    env: {
      DATA_DIR: process.env['DATA_DIR'] ?? join(root, 'examples/data'),
      DATA_DIR_SYNC: process.env['DATA_DIR_SYNC'] ?? 'true',
    },
  },
  { name: 'omni-bridge', ops: '9103', env: {} },
  { name: 'power', ops: '9104', env: {} },
];
const ready = new Set<string>();
services.forEach((s, i) => {
  const child = run(
    s.name,
    process.execPath,
    ['--import', 'tsx', `services/${s.name}/src/main.ts`],
    { ...common, OPS_PORT: process.env[`${s.name.toUpperCase().replace('-', '_')}_OPS_PORT`] ?? s.ops, ...s.env },
    i,
  );
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.includes(`${s.name} ready`)) return;
    ready.add(s.name);
    if (ready.size === services.length) {
      say('all four services are ready:');
      say(`  boot-http   http://${advertise}:${httpPort}/boot.ipxe   (scripts, /assets, /ipxe-bin, /factory)`);
      say(
        `  dhcp-proxy  ProxyDHCP ${isRoot ? '67 + 4011' : '10067 + 14011'}/udp, TFTP ${isRoot ? 69 : 10069}/udp, advertising ${advertise}`,
      );
      say(`  ops         /metrics /healthz /readyz on ports ${services.map((x) => `${x.name} ${x.ops}`).join(', ')}`);
      say(`  trace:      NATS_URL=${natsUrl} npx metalbus events`);
      say('Ctrl-C stops everything.');
    }
  });
});

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
