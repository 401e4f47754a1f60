// The long fuzz run: the properties of services/dhcp-proxy/test/dhcp-fuzz.test.ts over many more datagrams.
// decode never throws; a decoded message round-trips through encode; respond() gives a value on both listeners.

import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { decodeDhcp, encodeDhcp } from '../../services/dhcp-proxy/src/dhcp/codec.js';
import { createDecideContext } from '../../services/dhcp-proxy/src/dhcp/decide.js';
import { respond } from '../../services/dhcp-proxy/src/dhcp/respond.js';
import { anyDatagram } from '../../services/dhcp-proxy/test/fixtures/dhcp/arbitraries.js';

export interface FuzzResult {
  readonly cases: number;
  readonly seconds: number;
  readonly outcomes: Readonly<Record<string, number>>;
}

const ctx = createDecideContext({
  mode: 'both',
  serverAddress: '10.77.0.1',
  httpHost: '10.77.0.1',
  httpPort: 8080,
  bootFiles: { bios: 'undionly.kpxe', 'uefi-x64': 'ipxe.efi', arm64: 'ipxe-arm64.efi' },
});
const ports = { client: 68, relay: 67 };
const source = { address: '10.77.0.9', port: 68 };

export function runFuzz(cases: number, seed?: number): FuzzResult {
  const outcomes: Record<string, number> = {};
  const count = (key: string) => void (outcomes[key] = (outcomes[key] ?? 0) + 1);
  const started = performance.now();
  fc.assert(
    fc.property(anyDatagram, (bytes) => {
      const first = decodeDhcp(bytes);
      if (first.ok) {
        const again = decodeDhcp(encodeDhcp(first.value));
        if (!again.ok || !isDeepStrictEqual(again.value, first.value))
          throw new Error('round trip changed the message');
      }
      for (const listener of [67, 4011] as const) {
        const outcome = respond(bytes, listener, source, ctx, ports);
        if (outcome.kind === 'reply' && outcome.bytes.length > 1472) throw new Error('reply over 1472 bytes');
        if (listener === 67) {
          count(
            outcome.kind === 'malformed'
              ? `malformed:${outcome.error.code}`
              : outcome.kind === 'drop'
                ? `drop:${outcome.reason}`
                : 'reply',
          );
        }
      }
    }),
    { numRuns: cases, ...(seed === undefined ? {} : { seed }) },
  );
  return { cases, seconds: (performance.now() - started) / 1000, outcomes };
}
