import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePacket,
  encodeAck,
  encodeData,
  encodeError,
  encodeOack,
  encodeRequest,
  writeDataHeader,
} from '../src/tftp/codec.js';

/** Hex with spaces and `'text'` for readable goldens: each string field is followed by its NUL `00`. */
function bytes(...parts: Array<string | number[]>): Buffer {
  return Buffer.concat(
    parts.map((p) =>
      typeof p === 'string' ? Buffer.concat([Buffer.from(p, 'latin1'), Buffer.of(0)]) : Buffer.from(p),
    ),
  );
}

describe('encode: golden packets', () => {
  it('RRQ with RFC 2348 blksize and RFC 2349 tsize (RFC 1350 §5 layout, RFC 2347 option list)', () => {
    expect(
      encodeRequest('rrq', 'undionly.kpxe', 'octet', [
        ['blksize', '1468'],
        ['tsize', '0'],
      ]).toString('hex'),
    ).toBe(
      '0001' + // opcode 1 RRQ
        Buffer.from('undionly.kpxe\0octet\0blksize\x001468\0tsize\x000\0', 'latin1').toString('hex'),
    );
  });

  it('WRQ, DATA, ACK, ERROR, OACK', () => {
    expect(encodeRequest('wrq', 'x', 'netascii')).toEqual(bytes([0, 2], 'x', 'netascii'));
    // DATA: opcode 3, block 65535 (the last number before the 16-bit rollover), payload
    expect(encodeData(65535, Buffer.from('abc'))).toEqual(Buffer.from([0, 3, 0xff, 0xff, 0x61, 0x62, 0x63]));
    expect(encodeData(65536, Buffer.alloc(0))).toEqual(Buffer.from([0, 3, 0, 0])); // rolled over to 0
    expect(encodeAck(1)).toEqual(Buffer.from([0, 4, 0, 1]));
    expect(encodeAck(0x1_0001)).toEqual(Buffer.from([0, 4, 0, 1]));
    // ERROR: opcode 5, code 1 (file not found, RFC 1350 appendix), message, NUL
    expect(encodeError(1, 'file not found')).toEqual(bytes([0, 5, 0, 1], 'file not found'));
    // OACK: opcode 6 (RFC 2347), name/value pairs
    expect(
      encodeOack([
        ['blksize', '1468'],
        ['tsize', '74213'],
      ]),
    ).toEqual(bytes([0, 6], 'blksize', '1468', 'tsize', '74213'));
    expect(encodeOack([])).toEqual(Buffer.from([0, 6]));
  });

  it('writeDataHeader writes only the 4 header bytes', () => {
    const target = Buffer.alloc(6, 0xee);
    writeDataHeader(target, 0x1_0203);
    expect(target).toEqual(Buffer.from([0, 3, 0x02, 0x03, 0xee, 0xee]));
  });
});

describe('decode: valid packets', () => {
  it('RRQ: names and mode case-insensitive, known options typed, unknown ones listed and ignored', () => {
    const packet = bytes(
      [0, 1],
      'arm64/ipxe.efi',
      'OcTeT',
      'BLKSIZE',
      '1468',
      'TSize',
      '0',
      'multicast',
      '',
      'windowsize',
      '8',
      'Timeout',
      '3',
    );
    expect(decodePacket(packet)).toEqual({
      ok: true,
      value: {
        kind: 'rrq',
        filename: 'arm64/ipxe.efi',
        mode: 'octet',
        options: [
          { name: 'blksize', value: 1468 },
          { name: 'tsize', value: 0 },
          { name: 'windowsize', value: 8 },
          { name: 'timeout', value: 3 },
        ],
        ignoredOptions: ['multicast'],
      },
    });
  });

  it('RRQ without options, and with trailing NUL padding', () => {
    const expected = { kind: 'rrq', filename: 'a', mode: 'netascii', options: [], ignoredOptions: [] };
    expect(decodePacket(bytes([0, 1], 'a', 'netascii'))).toEqual({ ok: true, value: expected });
    expect(decodePacket(bytes([0, 1], 'a', 'netascii', [0, 0, 0]))).toEqual({ ok: true, value: expected });
  });

  it('WRQ, DATA, ACK (padding ignored), ERROR, OACK', () => {
    expect(decodePacket(bytes([0, 2], 'f', 'mail'))).toEqual({
      ok: true,
      value: { kind: 'wrq', filename: 'f', mode: 'mail', options: [], ignoredOptions: [] },
    });
    expect(decodePacket(Buffer.from([0, 3, 0, 7, 1, 2]))).toEqual({
      ok: true,
      value: { kind: 'data', block: 7, data: Buffer.from([1, 2]) },
    });
    expect(decodePacket(Buffer.from([0, 4, 0xff, 0xff]))).toEqual({ ok: true, value: { kind: 'ack', block: 65535 } });
    expect(decodePacket(Buffer.from([0, 4, 0, 9, 0, 0]))).toEqual({ ok: true, value: { kind: 'ack', block: 9 } });
    expect(decodePacket(bytes([0, 5, 0, 8], 'no options'))).toEqual({
      ok: true,
      value: { kind: 'error', code: 8, message: 'no options' },
    });
    expect(decodePacket(bytes([0, 6], 'BlkSize', '512', 'tsize', '10'))).toEqual({
      ok: true,
      value: {
        kind: 'oack',
        options: new Map([
          ['blksize', '512'],
          ['tsize', '10'],
        ]),
      },
    });
  });

  it('option values at the RFC range edges', () => {
    const values = (name: string, value: string) => {
      const r = decodePacket(bytes([0, 1], 'f', 'octet', name, value));
      return r.ok ? (r.value.kind === 'rrq' ? r.value.options : null) : r.error.code;
    };
    expect({
      blksize8: values('blksize', '8'),
      blksize65464: values('blksize', '65464'),
      windowsize65535: values('windowsize', '65535'),
      timeout255: values('timeout', '255'),
      leadingZeros: values('blksize', '0512'),
      blksize7: values('blksize', '7'),
      blksize65465: values('blksize', '65465'),
      windowsize0: values('windowsize', '0'),
      windowsize65536: values('windowsize', '65536'),
      timeout0: values('timeout', '0'),
      timeout256: values('timeout', '256'),
      negative: values('blksize', '-1'),
      spaced: values('blksize', ' 512'),
      hex: values('tsize', '0x10'),
      empty: values('tsize', ''),
      huge: values('tsize', '99999999999999999'),
    }).toEqual({
      blksize8: [{ name: 'blksize', value: 8 }],
      blksize65464: [{ name: 'blksize', value: 65464 }],
      windowsize65535: [{ name: 'windowsize', value: 65535 }],
      timeout255: [{ name: 'timeout', value: 255 }],
      leadingZeros: [{ name: 'blksize', value: 512 }],
      blksize7: 'bad-option-value',
      blksize65465: 'bad-option-value',
      windowsize0: 'bad-option-value',
      windowsize65536: 'bad-option-value',
      timeout0: 'bad-option-value',
      timeout256: 'bad-option-value',
      negative: 'bad-option-value',
      spaced: 'bad-option-value',
      hex: 'bad-option-value',
      empty: 'bad-option-value',
      huge: 'bad-option-value',
    });
  });
});

describe('decode: malformed input is a typed error value', () => {
  const cases: Array<[string, Buffer]> = [
    ['empty datagram', Buffer.alloc(0)],
    ['one byte', Buffer.from([0])],
    ['opcode 0', Buffer.from([0, 0, 0, 0])],
    ['opcode 7', Buffer.from([0, 7, 0, 0])],
    ['DATA without block', Buffer.from([0, 3, 0])],
    ['ACK without block', Buffer.from([0, 4, 1])],
    ['ERROR without code', Buffer.from([0, 5])],
    ['ERROR without NUL', Buffer.from([0, 5, 0, 1, 0x61])],
    ['RRQ filename without NUL', Buffer.from([0, 1, 0x61, 0x62])],
    ['RRQ empty filename', bytes([0, 1], '', 'octet')],
    ['RRQ mode without NUL', Buffer.concat([bytes([0, 1], 'f'), Buffer.from('octet')])],
    ['RRQ bad mode', bytes([0, 1], 'f', 'binary')],
    ['RRQ option without value', bytes([0, 1], 'f', 'octet', 'blksize')],
    ['RRQ option value without NUL', Buffer.concat([bytes([0, 1], 'f', 'octet', 'blksize'), Buffer.from('512')])],
    ['RRQ option name without NUL', Buffer.concat([bytes([0, 1], 'f', 'octet'), Buffer.from('blk')])],
    ['RRQ empty option name before a value', bytes([0, 1], 'f', 'octet', '', '512')],
    ['RRQ duplicate option', bytes([0, 1], 'f', 'octet', 'blksize', '512', 'BLKSIZE', '1024')],
    ['RRQ duplicate unknown option', bytes([0, 1], 'f', 'octet', 'x', '1', 'X', '2')],
    ['OACK duplicate option', bytes([0, 6], 'tsize', '1', 'tsize', '2')],
    ['OACK option without value', bytes([0, 6], 'tsize')],
  ];

  it('names each problem', () => {
    const results = cases.map(([label, buf]) => {
      const r = decodePacket(buf);
      return [label, r.ok ? 'decoded' : `${r.error.code}${r.error.option ? `:${r.error.option}` : ''}`];
    });
    expect(Object.fromEntries(results)).toEqual({
      'empty datagram': 'too-short',
      'one byte': 'too-short',
      'opcode 0': 'unknown-opcode',
      'opcode 7': 'unknown-opcode',
      'DATA without block': 'too-short',
      'ACK without block': 'too-short',
      'ERROR without code': 'too-short',
      'ERROR without NUL': 'missing-nul',
      'RRQ filename without NUL': 'missing-nul',
      'RRQ empty filename': 'empty-filename',
      'RRQ mode without NUL': 'missing-nul',
      'RRQ bad mode': 'bad-mode',
      'RRQ option without value': 'option-missing-value:blksize',
      'RRQ option value without NUL': 'option-missing-value:blksize',
      'RRQ option name without NUL': 'missing-nul',
      'RRQ empty option name before a value': 'empty-option-name',
      'RRQ duplicate option': 'duplicate-option:blksize',
      'RRQ duplicate unknown option': 'duplicate-option:x',
      'OACK duplicate option': 'duplicate-option:tsize',
      'OACK option without value': 'option-missing-value:tsize',
    });
  });

  it('a request fed in pieces: every prefix is an error until the last NUL', () => {
    const whole = bytes([0, 1], 'ab', 'octet', 'tsize', '0');
    const results = Array.from({ length: whole.length + 1 }, (_, n) => {
      const r = decodePacket(whole.subarray(0, n));
      return r.ok ? 'ok' : r.error.code;
    });
    expect(results).toEqual([
      'too-short', // nothing
      'too-short', // half an opcode
      ...Array(3).fill('missing-nul'), // opcode, 'a', 'ab'
      'missing-nul', // 'ab\0': the mode has not started
      ...Array(5).fill('missing-nul'), // 'o' .. 'octet' without its NUL
      'ok', // 'octet\0': a complete request without options
      ...Array(5).fill('missing-nul'), // 't' .. 'tsize' without its NUL
      'option-missing-value', // 'tsize\0'
      'option-missing-value', // 'tsize\0' '0' (value without its NUL)
      'ok',
    ]);
  });
});

describe('fuzz: decode never throws', () => {
  const valid = [
    bytes([0, 1], 'undionly.kpxe', 'octet', 'blksize', '1468', 'tsize', '0', 'windowsize', '4'),
    bytes([0, 2], 'x', 'netascii'),
    Buffer.from([0, 3, 0, 1, 9, 9, 9]),
    Buffer.from([0, 4, 0, 1]),
    bytes([0, 5, 0, 1], 'file not found'),
    bytes([0, 6], 'blksize', '1468'),
  ];

  it('random datagrams', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (raw) => {
        const r = decodePacket(Buffer.from(raw));
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 20_000 },
    );
  });

  it('mutated valid packets (byte flips, truncation, insertion)', () => {
    const mutated = fc
      .tuple(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), {
          maxLength: 4,
        }),
      )
      .map(([base, edits]) => {
        let buf = Buffer.from(base);
        for (const [pos, value, op] of edits) {
          const at = buf.length === 0 ? 0 : pos % buf.length;
          if (op === 'flip' && buf.length > 0) buf[at] = value;
          else if (op === 'cut') buf = buf.subarray(0, at);
          else buf = Buffer.concat([buf.subarray(0, at), Buffer.of(value), buf.subarray(at)]);
        }
        return buf;
      });
    fc.assert(
      fc.property(mutated, (buf) => {
        const r = decodePacket(buf);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 20_000 },
    );
  });

  it('requests round-trip through encode and decode', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9._/-]{1,40}$/);
    const option = fc.oneof(
      fc.tuple(fc.constant('blksize'), fc.integer({ min: 8, max: 65464 })),
      fc.tuple(fc.constant('tsize'), fc.nat()),
      fc.tuple(fc.constant('timeout'), fc.integer({ min: 1, max: 255 })),
      fc.tuple(fc.constant('windowsize'), fc.integer({ min: 1, max: 65535 })),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('rrq' as const, 'wrq' as const),
        name,
        fc.constantFrom('octet', 'netascii', 'OCTET'),
        fc.uniqueArray(option, { selector: ([n]) => n, maxLength: 4 }),
        (kind, filename, mode, options) => {
          const packet = encodeRequest(
            kind,
            filename,
            mode,
            options.map(([n, v]) => [n, String(v)] as const),
          );
          expect(decodePacket(packet)).toEqual({
            ok: true,
            value: {
              kind,
              filename,
              mode: mode.toLowerCase(),
              options: options.map(([n, v]) => ({ name: n, value: v })),
              ignoredOptions: [],
            },
          });
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
