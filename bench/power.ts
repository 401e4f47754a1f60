/**
 * Power benchmark: the native IPMI v2.0 / RMCP+ client against `ipmitool -I lanplus` processes, same operations,
 * same simulated BMCs (OpenIPMI ipmi_sim, one per BMC on loopback), same closed-loop concurrency.
 *
 *   node --import tsx bench/power.ts [--bmcs 20] [--concurrency 20] [--seconds 5]
 *
 * Native drivers keep one session per BMC (warmed up before timing; the "new session per op" row shows the cost
 * of session set-up); ipmitool pays a process start plus a full session per invocation, as in production use.
 * Prints a markdown table and the native/ipmitool throughput ratio (goal: at least 5x).
 */
import { parseArgs } from 'node:util';
import { createIpmiDriver } from '../services/power/src/drivers/ipmi.js';
import type { PowerDriver } from '../services/power/src/drivers/driver.js';
import { createIpmiTransport } from '../services/power/src/ipmi/transport.js';
import { type SimBmc, ipmitool, startSim } from '../services/power/test/fixtures/ipmi/sim.js';
import { type LoadResult, closedLoop } from './power/load.js';

const { values } = parseArgs({
  options: {
    bmcs: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '5' },
  },
});
const bmcs = Number(values.bmcs);
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);

const deadline = (): AbortSignal => AbortSignal.timeout(15_000);

async function tool(port: number, args: string[]): Promise<void> {
  const r = await ipmitool(port, args);
  if (r.code !== 0) throw new Error(`ipmitool ${args.join(' ')}: rc ${r.code}: ${r.stderr.trim()}`);
}

const sims: SimBmc[] = [];
const transport = createIpmiTransport({ bindAddress4: '127.0.0.1' });
const drivers: PowerDriver[] = [];
const rows: Array<{ op: string; client: string; r: LoadResult }> = [];
try {
  for (let i = 0; i < bmcs; i += 5)
    sims.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(5, bmcs - i) }, (_, j) => startSim({ name: `bench${i + j}` })),
      )),
    );
  const driverFor = (sim: SimBmc): PowerDriver =>
    createIpmiDriver(
      { address: '127.0.0.1', port: sim.port, username: 'admin', password: 'pass', cipherSuite: 3 },
      { transport },
    );
  drivers.push(...sims.map(driverFor));
  await Promise.all(drivers.map((d) => d.status(deadline()))); // warm-up: one session per BMC
  const port = (i: number): number => sims[i]?.port ?? 0;
  const driverAt = (i: number): PowerDriver => drivers[i] ?? drivers[0]!;

  rows.push({
    op: 'status',
    client: 'native (session kept)',
    r: await closedLoop(bmcs, concurrency, seconds, async (i) => void (await driverAt(i).status(deadline()))),
  });
  rows.push({
    op: 'status',
    client: 'native (new session per op)',
    r: await closedLoop(bmcs, concurrency, seconds, async (i) => {
      const d = driverFor(sims[i]!);
      try {
        await d.status(deadline());
      } finally {
        await d.close();
      }
    }),
  });
  rows.push({
    op: 'status',
    client: 'ipmitool',
    r: await closedLoop(bmcs, concurrency, seconds, (i) => tool(port(i), ['chassis', 'power', 'status'])),
  });
  rows.push({
    op: 'boot-once PXE + power on',
    client: 'native (session kept)',
    r: await closedLoop(bmcs, concurrency, seconds, async (i) => {
      await driverAt(i).setBootOnce('pxe', 'uefi', deadline());
      await driverAt(i).powerOn(deadline());
    }),
  });
  rows.push({
    op: 'boot-once PXE + power on',
    client: 'ipmitool',
    r: await closedLoop(bmcs, concurrency, seconds, async (i) => {
      await tool(port(i), ['chassis', 'bootdev', 'pxe', 'options=efiboot']);
      await tool(port(i), ['chassis', 'power', 'on']);
    }),
  });
} finally {
  await Promise.allSettled(drivers.map((d) => d.close()));
  await transport.close();
  await Promise.allSettled(sims.map((s) => s.stop()));
}

const f = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
console.log(
  `\n### IPMI: native RMCP+ client vs ipmitool (${bmcs} ipmi_sim BMCs, concurrency ${concurrency}, ${seconds} s per row, cipher suite 3)\n`,
);
console.log('| operation | client | ops/s | p50 ms | p99 ms | ok | failed |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const { op, client, r } of rows)
  console.log(`| ${op} | ${client} | ${f(r.opsPerSecond)} | ${f(r.p50Ms)} | ${f(r.p99Ms)} | ${r.ok} | ${r.failed} |`);
console.log('\n| operation | native ops/s ÷ ipmitool ops/s | goal |');
console.log('|---|---:|---:|');
for (const op of ['status', 'boot-once PXE + power on']) {
  const native = rows.find((x) => x.op === op && x.client === 'native (session kept)')?.r.opsPerSecond ?? Number.NaN;
  const peer = rows.find((x) => x.op === op && x.client === 'ipmitool')?.r.opsPerSecond ?? Number.NaN;
  console.log(`| ${op} | ${f(native / peer)}x | ≥ 5x |`);
}
for (const { op, client, r } of rows)
  if (r.firstError) console.log(`\nfirst failure (${op}, ${client}): ${r.firstError}`);
