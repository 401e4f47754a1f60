import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeChannelAuthCapabilities } from '../src/ipmi/app-commands.js';
import { decodeBootFlags, decodeChassisStatus, decodeGetSystemBootOptions } from '../src/ipmi/chassis.js';
import { CIPHER_SUITES } from '../src/ipmi/cipher-suites.js';
import { decryptPayload } from '../src/ipmi/confidentiality.js';
import { decodeLanResponse } from '../src/ipmi/lan-message.js';
import { decodeOpenSessionResponse, decodeRakp2, decodeRakp4 } from '../src/ipmi/rakp.js';
import { decodeAsfPong, decodeRmcp } from '../src/ipmi/rmcp.js';
import { type SessionSecurity, decodeSessionPacket } from '../src/ipmi/session-packet.js';

/** Hostile input is a value (STYLE.md 9): no decoder may throw, whatever arrives on the socket. */
const securities: SessionSecurity[] = [3, 17].map((id) => {
  const suite = CIPHER_SUITES[id === 3 ? 3 : 17];
  return { suite, k1: Buffer.alloc(suite.hash === 'sha1' ? 20 : 32, 1), aesKey: Buffer.alloc(16, 2) };
});

const decoders: Array<[string, (b: Buffer) => { ok: boolean }]> = [
  ['rmcp', decodeRmcp],
  ['asf pong', decodeAsfPong],
  ['session packet, no session', (b) => decodeSessionPacket(b)],
  ['session packet, suite 3', (b) => decodeSessionPacket(b, securities[0])],
  ['session packet, suite 17', (b) => decodeSessionPacket(b, securities[1])],
  ['lan response', decodeLanResponse],
  ['open session response', decodeOpenSessionResponse],
  ['rakp2 suite 3', (b) => decodeRakp2(b, CIPHER_SUITES[3])],
  ['rakp2 suite 17', (b) => decodeRakp2(b, CIPHER_SUITES[17])],
  ['rakp4 suite 3', (b) => decodeRakp4(b, CIPHER_SUITES[3])],
  ['rakp4 suite 17', (b) => decodeRakp4(b, CIPHER_SUITES[17])],
  ['channel auth capabilities', decodeChannelAuthCapabilities],
  ['chassis status', decodeChassisStatus],
  ['boot flags', decodeBootFlags],
  ['get system boot options', decodeGetSystemBootOptions],
  ['aes-cbc-128 payload', (b) => decryptPayload(Buffer.alloc(16, 9), b)],
];

/** Random bytes shaped like IPMI traffic: an RMCP/IPMI header and a plausible auth type byte up front. */
const ipmiLike = fc
  .tuple(
    fc.constantFrom(0x00, 0x02, 0x06),
    fc.constantFrom(0x00, 0x10, 0x11, 0x13, 0x15, 0xc0, 0x40, 0x80),
    fc.uint8Array({ maxLength: 120 }),
  )
  .map(([auth, type, rest]) => Buffer.concat([Buffer.from([0x06, 0x00, 0xff, 0x07, auth, type]), Buffer.from(rest)]));

describe('IPMI decoders never throw', () => {
  for (const [name, decode] of decoders) {
    it(`${name}: arbitrary bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
          const r = decode(Buffer.from(bytes));
          expect(typeof r.ok).toBe('boolean');
        }),
        { numRuns: 400 },
      );
    });
  }

  it('session packets: IPMI-shaped bytes with and without keys', () => {
    fc.assert(
      fc.property(ipmiLike, (bytes) => {
        for (const s of [undefined, ...securities]) expect(typeof decodeSessionPacket(bytes, s).ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('captured datagrams with random byte flips decode or fail as values', () => {
    const capture = JSON.parse(
      readFileSync(new URL('./fixtures/ipmi/capture-suite3.json', import.meta.url), 'utf8'),
    ) as { packets: Record<string, string> };
    const packets = Object.values(capture.packets).map((h) => Buffer.from(h, 'hex'));
    fc.assert(
      fc.property(
        fc.nat({ max: packets.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
        (i, flips) => {
          const b = Buffer.from(packets[i] ?? Buffer.alloc(0));
          for (const [at, x] of flips) b[at % b.length] = (b[at % b.length] ?? 0) ^ x;
          for (const s of [undefined, ...securities]) expect(typeof decodeSessionPacket(b, s).ok).toBe('boolean');
        },
      ),
      { numRuns: 1000 },
    );
  });
});
