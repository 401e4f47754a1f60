// Runs metalbus's TFTP server alone in this process, for bench/tftp.ts (which measures it from outside, the way
// it measures tftpd-hpa). Usage: node --import tsx bench/tftp/serve.ts <dir> <address> <port> [workers]
// Prints one JSON line `{"listening":{...}}` when ready; stops on SIGTERM and prints its counters.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createTftpServer, loadBootFiles } from '../../services/dhcp-proxy/src/tftp/index.js';

const [dir = '/usr/lib/ipxe', address = '127.0.0.1', port = '16970', workers = '2'] = process.argv.slice(2);
const registry = new Registry();
const files = await loadBootFiles({ dir, maxFileBytes: 64 << 20, maxTotalBytes: 256 << 20 });
const server = createTftpServer({
  address,
  port: Number(port),
  files,
  maxTransfers: 500,
  timeoutMs: 1000,
  retries: 5,
  maxBlksize: 65464,
  maxWindowsize: 64,
  workers: Number(workers),
  registry,
  logger: pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }),
});
const listening = await server.start();
console.log(JSON.stringify({ listening, files: files.names() }));

process.once('SIGTERM', () => {
  void server.stop().then(async () => {
    const metrics = await registry.getMetricsAsJSON();
    const counters = metrics
      .filter((m) => m.name.endsWith('_total'))
      .flatMap((m) => m.values.map((v) => [`${m.name}${JSON.stringify(v.labels)}`, v.value] as const));
    console.log(JSON.stringify({ stopped: Object.fromEntries(counters) }));
    process.exit(0);
  });
});
