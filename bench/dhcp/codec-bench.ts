// In-process throughput of the ProxyDHCP pure path: decode only, and decode → decide → build → encode (respond),
// over the fixture requests of real firmware, plus malformed input.

import { decodeDhcp } from '../../services/dhcp-proxy/src/dhcp/codec.js';
import { createDecideContext } from '../../services/dhcp-proxy/src/dhcp/decide.js';
import { respond } from '../../services/dhcp-proxy/src/dhcp/respond.js';
import * as rq from '../../services/dhcp-proxy/test/fixtures/dhcp/requests.js';

export interface CodecResult {
  readonly name: string;
  readonly opsPerSecond: number;
  readonly nsPerOp: number;
}

const ctx = createDecideContext({
  mode: 'both',
  serverAddress: '10.77.0.1',
  httpHost: '10.77.0.1',
  httpPort: 8080,
  bootFiles: { bios: 'undionly.kpxe', 'uefi-x64': 'ipxe.efi', arm64: 'ipxe-arm64.efi' },
});
const ports = { client: 68, relay: 67 };
const source = { address: '0.0.0.0', port: 68 };

/** Runs `op` over `inputs` round-robin: a warm-up, then `iterations` timed calls. */
function measure(name: string, inputs: readonly Buffer[], iterations: number, op: (b: Buffer) => unknown): CodecResult {
  let sink = 0;
  const warmup = Math.min(20_000, iterations);
  for (let i = 0; i < warmup; i++) sink += op(inputs[i % inputs.length] as Buffer) ? 1 : 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += op(inputs[i % inputs.length] as Buffer) ? 1 : 0;
  const ns = Number(process.hrtime.bigint() - started);
  if (sink < 0) console.log(sink); // keeps the loop from being optimised away
  return { name, opsPerSecond: (iterations * 1e9) / ns, nsPerOp: ns / iterations };
}

export function runCodecBench(iterations: number): CodecResult[] {
  const pxe = [
    rq.biosDiscover,
    rq.uefiDiscover,
    rq.uefiRequest4011,
    rq.arm64Discover,
    rq.httpX64Discover,
    rq.ipxe77Discover,
  ];
  const malformed = [rq.uefiDiscover.subarray(0, 200), Buffer.concat([rq.uefiDiscover, Buffer.from([60, 40, 1])])];
  return [
    measure('decode (6 firmware requests)', pxe, iterations, (b) => decodeDhcp(b).ok),
    measure('decode + decide + encode, DISCOVER/REQUEST → reply', pxe, iterations, (b) => {
      const listener = b === rq.uefiRequest4011 ? 4011 : 67;
      return respond(b, listener, source, ctx, ports).kind;
    }),
    measure(
      'decode + decide, non-PXE DISCOVER → drop',
      [rq.plainDiscover],
      iterations,
      (b) => respond(b, 67, source, ctx, ports).kind,
    ),
    measure('decode, malformed (truncated, overrun) → error value', malformed, iterations, (b) => decodeDhcp(b).ok),
  ];
}
