// Property tests: hostile datagrams never throw out of the codec or the reply pipeline. About 20,000 cases here;
// `node --import tsx bench/dhcp.ts --fuzz` runs the same properties over 1,000,000.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDhcp, encodeDhcp } from '../src/dhcp/codec.js';
import { createDecideContext } from '../src/dhcp/decide.js';
import { respond } from '../src/dhcp/respond.js';
import { mutatedRequest, randomBytes, randomOptions } from './fixtures/dhcp/arbitraries.js';

const ctx = createDecideContext({
  mode: 'both',
  serverAddress: '10.77.0.1',
  httpHost: '10.77.0.1',
  httpPort: 8080,
  bootFiles: { bios: 'undionly.kpxe', 'uefi-x64': 'ipxe.efi', arm64: 'ipxe-arm64.efi' },
});
const ports = { client: 68, relay: 67 };
const source = { address: '10.77.0.9', port: 68 };

/** Decode never throws; a decoded message re-encodes and decodes to the same value. */
function codecHolds(bytes: Uint8Array): void {
  const first = decodeDhcp(bytes);
  expect(typeof first.ok).toBe('boolean');
  if (!first.ok) {
    expect(first.error.name).toBe('DhcpDecodeError');
    return;
  }
  const again = decodeDhcp(encodeDhcp(first.value));
  if (!again.ok) throw again.error;
  expect(again.value).toEqual(first.value);
}

/** The whole reply pipeline answers with a value for every datagram, on both listeners. */
function pipelineHolds(bytes: Uint8Array): void {
  for (const listener of [67, 4011] as const) {
    const outcome = respond(bytes, listener, source, ctx, ports);
    expect(['malformed', 'drop', 'reply']).toContain(outcome.kind);
    if (outcome.kind === 'reply') expect(outcome.bytes.length).toBeLessThanOrEqual(1472);
  }
}

describe('DHCP fuzz', () => {
  it('random bytes: decode returns a result, never throws (5,000 cases)', () => {
    fc.assert(
      fc.property(randomBytes, (b) => codecHolds(b)),
      { numRuns: 5_000 },
    );
  });

  it('mutated real requests: codec round-trips and the pipeline never throws (10,000 cases)', () => {
    fc.assert(
      fc.property(mutatedRequest, (b) => {
        codecHolds(b);
        pipelineHolds(b);
      }),
      { numRuns: 10_000 },
    );
  });

  it('random option lists on a real header: same properties (5,000 cases)', () => {
    fc.assert(
      fc.property(randomOptions, (b) => {
        codecHolds(b);
        pipelineHolds(b);
      }),
      { numRuns: 5_000 },
    );
  });
});
