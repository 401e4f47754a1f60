// ProxyDHCP benchmark: metalbus's dhcp-proxy server module vs dnsmasq (proxy mode) under ISC perfdhcp, plus the
// in-process codec throughput and the long fuzz run. Prints markdown.
//
//   node --import tsx bench/dhcp.ts                       full run: ladder 1k,2k,5k,10k,20k/s × 10 s, codec, no fuzz
//   node --import tsx bench/dhcp.ts --quick               proof run: 1k,5k/s × 3 s, short codec bench
//   node --import tsx bench/dhcp.ts --fuzz 1000000        adds the 1,000,000-datagram fuzz run
//   options: --rates 1000,5000,max  --seconds 10  --reps 3  --no-peer  --no-codec  --codec-iterations 500000
//
// The peer ladder needs root, `ip netns`, /usr/sbin/perfdhcp (Debian kea-admin) and /usr/sbin/dnsmasq. The machine
// is shared: compare metalbus only with the dnsmasq figures of the same run.

import { loadavg } from 'node:os';
import { netnsUnavailable } from '../services/dhcp-proxy/test/fixtures/dhcp/netns.js';
import { PERFDHCP } from '../services/dhcp-proxy/test/fixtures/dhcp/perfdhcp.js';
import { runCodecBench } from './dhcp/codec-bench.js';
import type { CodecResult } from './dhcp/codec-bench.js';
import { runFuzz } from './dhcp/fuzz.js';
import type { FuzzResult } from './dhcp/fuzz.js';
import { runPeerBench } from './dhcp/peer-bench.js';
import type { LadderRow, Target } from './dhcp/peer-bench.js';

export interface DhcpBenchOptions {
  readonly rates: readonly (number | null)[];
  readonly seconds: number;
  readonly reps: number;
  readonly peer: boolean;
  readonly codec: boolean;
  readonly codecIterations: number;
  readonly fuzzCases: number;
}

/** The goal: at 5,000 DISCOVER/s, at least dnsmasq's reply rate, no drops, p99 under 2 ms. */
const GOAL = { rate: 5000, p99Ms: 2 };

function parseArgs(argv: readonly string[]): DhcpBenchOptions {
  const quick = argv.includes('--quick');
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const rates = (value('--rates') ?? (quick ? '1000,5000' : '1000,2000,5000,10000,20000'))
    .split(',')
    .map((r) => (r === 'max' ? null : Number(r)));
  return {
    rates,
    seconds: Number(value('--seconds') ?? (quick ? 3 : 10)),
    reps: Number(value('--reps') ?? 1),
    peer: !argv.includes('--no-peer'),
    codec: !argv.includes('--no-codec'),
    codecIterations: Number(value('--codec-iterations') ?? (quick ? 100_000 : 500_000)),
    fuzzCases: argv.includes('--fuzz') ? Number(value('--fuzz') ?? 1_000_000) || 1_000_000 : 0,
  };
}

const f = (n: number | null | undefined, digits = 3) => (n === null || n === undefined ? '–' : n.toFixed(digits));
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : (s[Math.floor((s.length - 1) / 2)] as number);
};

function ladderTable(rows: readonly LadderRow[]): string {
  const out = [
    '| server | offered/s | rep | sent | replies/s | drops | avg ms | p99 ms | max ms | server CPU µs/reply | RcvbufErrors server/client |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.target} | ${r.rate ?? 'max'} | ${r.rep} | ${int(r.sent)} | ${int(r.repliesPerSecond)} | ${int(r.drops)} | ${f(r.avgMs)} | ${f(r.p99Ms)} | ${f(r.maxMs)} | ${f(r.cpuUsPerReply, 1)} | ${r.rcvbufErrors[0]}/${r.rcvbufErrors[1]} |`,
    );
  }
  return out.join('\n');
}

function ratioTable(rows: readonly LadderRow[], rates: readonly (number | null)[]): string {
  const out = [
    '| offered/s | replies/s metalbus ÷ dnsmasq | drops metalbus / dnsmasq | p99 ms metalbus / dnsmasq | goal (≥1.0×, 0 drops, p99 < 2 ms) |',
    '|---|---|---|---|---|',
  ];
  for (const rate of [...new Set(rates)]) {
    const pick = (t: Target, k: (r: LadderRow) => number | null) =>
      median(
        rows
          .filter((r) => r.target === t && r.rate === rate)
          .map(k)
          .filter((x): x is number => x !== null),
      );
    const [ours, theirs] = [pick('metalbus', (r) => r.repliesPerSecond), pick('dnsmasq', (r) => r.repliesPerSecond)];
    const ratio = ours !== null && theirs !== null && theirs > 0 ? ours / theirs : null;
    const drops = [pick('metalbus', (r) => r.drops), pick('dnsmasq', (r) => r.drops)];
    const p99 = [pick('metalbus', (r) => r.p99Ms), pick('dnsmasq', (r) => r.p99Ms)];
    const [ourDrops, ourP99] = [drops[0] ?? null, p99[0] ?? null];
    const goal =
      rate === GOAL.rate
        ? ratio !== null && ratio >= 0.999 && ourDrops === 0 && ourP99 !== null && ourP99 < GOAL.p99Ms
          ? 'MET'
          : 'NOT MET'
        : '';
    out.push(
      `| ${rate ?? 'max'} | ${f(ratio, 3)}× | ${drops.map((d) => f(d, 0)).join(' / ')} | ${p99.map((p) => f(p)).join(' / ')} | ${goal} |`,
    );
  }
  return out.join('\n');
}

function codecTable(results: readonly CodecResult[]): string {
  return [
    '| in-process path (one core) | per second | ns per packet |',
    '|---|---|---|',
    ...results.map((r) => `| ${r.name} | ${int(r.opsPerSecond)} | ${int(r.nsPerOp)} |`),
  ].join('\n');
}

function fuzzTable(r: FuzzResult): string {
  const rows = Object.entries(r.outcomes).sort((a, b) => b[1] - a[1]);
  return [
    `Fuzz: ${int(r.cases)} datagrams in ${r.seconds.toFixed(1)} s (${int(r.cases / r.seconds)}/s), no property failed.`,
    '',
    '| outcome on port 67 | datagrams |',
    '|---|---|',
    ...rows.map(([k, n]) => `| ${k} | ${int(n)} |`),
  ].join('\n');
}

export async function runDhcpBench(o: DhcpBenchOptions, progress: (line: string) => void = () => {}): Promise<string> {
  const sections: string[] = [
    `## ProxyDHCP: metalbus dhcp-proxy vs dnsmasq (proxy mode)`,
    '',
    `Node ${process.version}; load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (shared machine).`,
  ];
  if (o.peer) {
    const missing = netnsUnavailable([PERFDHCP, '/usr/sbin/dnsmasq']);
    if (missing !== null) {
      sections.push('', `**Peer ladder skipped: ${missing}.**`);
    } else {
      const rows = await runPeerBench({
        rates: o.rates,
        seconds: o.seconds,
        reps: o.reps,
        targets: ['dnsmasq', 'metalbus'],
        progress,
      });
      sections.push(
        '',
        `perfdhcp -4 -l <veth> -i -r <rate> -R 100000 -p ${o.seconds} -W 1000000 -x t, options 60 PXEClient:Arch:00000, 93 = 0, 97; ` +
          'client and server in two namespaces joined by a veth pair. perfdhcp acts as a relay agent (giaddr = its address), ' +
          'so replies are unicast to it. dnsmasq 2.90 with `quiet-dhcp`; metalbus without onServed.',
        '',
        ladderTable(rows),
        '',
        ratioTable(rows, o.rates),
      );
    }
  }
  if (o.codec) sections.push('', codecTable(runCodecBench(o.codecIterations)));
  if (o.fuzzCases > 0) sections.push('', fuzzTable(runFuzz(o.fuzzCases)));
  return sections.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = parseArgs(process.argv.slice(2));
  const report = await runDhcpBench(options, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${report}\n`);
}
