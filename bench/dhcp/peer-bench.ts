// ProxyDHCP under load from ISC perfdhcp: metalbus's server module vs dnsmasq in proxy mode, same namespaces, same
// rate ladder, run back to back (the order alternates per repetition). Set-up as in
// reference/anchor-figures.md §1: client namespace runs perfdhcp on a veth, server namespace runs the server.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createNamespacePair,
  spawnIn,
  stopChild,
  waitForLine,
} from '../../services/dhcp-proxy/test/fixtures/dhcp/netns.js';
import type { NamespacePair } from '../../services/dhcp-proxy/test/fixtures/dhcp/netns.js';
import { hexOf, runPerfdhcp } from '../../services/dhcp-proxy/test/fixtures/dhcp/perfdhcp.js';

export type Target = 'metalbus' | 'dnsmasq';

export interface LadderRow {
  readonly target: Target;
  readonly rep: number;
  readonly rate: number | null;
  readonly sent: number;
  readonly received: number;
  readonly repliesPerSecond: number;
  readonly drops: number;
  readonly avgMs: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** Server CPU (user + system) per reply, microseconds. */
  readonly cpuUsPerReply: number | null;
  /** UDP RcvbufErrors during the step: server namespace / client namespace. */
  readonly rcvbufErrors: readonly [number, number];
}

export interface PeerBenchOptions {
  readonly rates: readonly (number | null)[];
  readonly seconds: number;
  readonly reps: number;
  readonly targets: readonly Target[];
  readonly progress: (line: string) => void;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVE = join(ROOT, 'services/dhcp-proxy/test/fixtures/dhcp/serve.ts');
const DNSMASQ = '/usr/sbin/dnsmasq';
/** The PXE client perfdhcp imitates: x86 BIOS ROM, as in the dnsmasq anchor figures. */
const PXE_OPTIONS: readonly (readonly [number, string])[] = [
  [60, hexOf('PXEClient:Arch:00000:UNDI:002001')],
  [93, '0000'],
  [97, '00000102030405060708090a0b0c0d0e0f'],
];
const CLK_TCK = 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function rcvbufErrors(ns: string): number {
  const snmp = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp'], { encoding: 'utf8' });
  const [names, values] = snmp.split('\n').filter((l) => l.startsWith('Udp:'));
  const i = (names ?? '').split(/\s+/).indexOf('RcvbufErrors');
  return i < 0 ? 0 : Number((values ?? '').split(/\s+/)[i]);
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
}

function dnsmasqConfig(dir: string, pair: NamespacePair): string {
  const subnet = pair.server.address.replace(/\.\d+$/, '.0');
  const file = join(dir, 'dnsmasq-proxy.conf');
  writeFileSync(
    file,
    [
      'port=0',
      `interface=${pair.server.dev}`,
      'bind-interfaces',
      'no-resolv',
      'no-hosts',
      `dhcp-range=${subnet},proxy`,
      'pxe-service=x86PC,"BIOS PXE",undionly.kpxe',
      'pxe-service=X86-64_EFI,"UEFI PXE",ipxe.efi',
      'no-ping',
      'quiet-dhcp', // no per-reply log line: metalbus does not log per reply either
      `log-facility=${join(dir, 'dnsmasq.log')}`,
      `dhcp-leasefile=${join(dir, 'leases')}`,
      `pid-file=${join(dir, 'dnsmasq.pid')}`,
      'user=root',
      '',
    ].join('\n'),
  );
  return file;
}

async function startTarget(target: Target, pair: NamespacePair, dir: string): Promise<ChildProcessWithoutNullStreams> {
  if (target === 'metalbus') {
    const child = spawnIn(
      pair.server.ns,
      process.execPath,
      ['--import', 'tsx', SERVE, JSON.stringify({ interface: pair.server.dev, quiet: true })],
      ROOT,
    );
    await waitForLine(child, 'READY ');
    return child;
  }
  const child = spawnIn(pair.server.ns, DNSMASQ, ['-k', '-C', dnsmasqConfig(dir, pair)]);
  const log = join(dir, 'dnsmasq.log');
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (child.exitCode !== null) throw new Error('dnsmasq exited');
    try {
      if (readFileSync(log, 'utf8').includes('proxy on subnet')) return child;
    } catch {
      // not written yet
    }
  }
  throw new Error('dnsmasq did not start');
}

export async function runPeerBench(o: PeerBenchOptions): Promise<LadderRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mbdhcp-bench-'));
  const pair = createNamespacePair('mbb', '10.98.7');
  const rows: LadderRow[] = [];
  try {
    for (let rep = 1; rep <= o.reps; rep++) {
      const order = rep % 2 === 1 ? o.targets : [...o.targets].reverse();
      for (const target of order) {
        const server = await startTarget(target, pair, dir);
        try {
          // Warm-up, not recorded: lets V8 compile the reply path (and dnsmasq fault its pages in) first.
          await runPerfdhcp({ ns: pair.client.ns, dev: pair.client.dev, rate: 1000, seconds: 1, options: PXE_OPTIONS });
          for (const rate of o.rates) {
            const pid = server.pid as number;
            const cpu0 = cpuSeconds(pid);
            const rcv0 = [rcvbufErrors(pair.server.ns), rcvbufErrors(pair.client.ns)];
            const run = await runPerfdhcp({
              ns: pair.client.ns,
              dev: pair.client.dev,
              rate,
              seconds: o.seconds,
              options: PXE_OPTIONS,
              timers: true,
            });
            const cpu = cpuSeconds(pid) - cpu0;
            const rcv1 = [rcvbufErrors(pair.server.ns), rcvbufErrors(pair.client.ns)];
            const times = [...run.timesMs].sort((a, b) => a - b);
            const row: LadderRow = {
              target,
              rep,
              rate,
              sent: run.sent,
              received: run.received,
              repliesPerSecond: run.received / o.seconds,
              drops: run.drops,
              avgMs: run.avgMs,
              p99Ms: percentile(times, 0.99),
              maxMs: run.maxMs,
              cpuUsPerReply: run.received > 0 ? (cpu * 1e6) / run.received : null,
              rcvbufErrors: [(rcv1[0] ?? 0) - (rcv0[0] ?? 0), (rcv1[1] ?? 0) - (rcv0[1] ?? 0)],
            };
            rows.push(row);
            o.progress(
              `${target} rep ${rep} rate ${rate ?? 'max'}: ${run.received}/${run.sent} received, p99 ${row.p99Ms?.toFixed(3)} ms (rc ${run.rc})`,
            );
            await new Promise((r) => setTimeout(r, 500));
          }
        } finally {
          await stopChild(server);
        }
      }
    }
  } finally {
    pair.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
