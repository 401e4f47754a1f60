// The DHCP codec: whole decoded structures, every malformation code, overload (RFC 2131 §4.1), long options
// (RFC 3396), encapsulated 43/175, and encode details.

import { describe, expect, it } from 'vitest';
import { decodeDhcp, encodeDhcp } from '../src/dhcp/codec.js';
import type { DhcpDecodeErrorCode } from '../src/dhcp/errors.js';
import type { DhcpPacket } from '../src/dhcp/packet.js';
import { ascii, dump, field, hex, zeros } from './fixtures/dhcp/hex.js';
import * as rq from './fixtures/dhcp/requests.js';

function decoded(bytes: Uint8Array): DhcpPacket {
  const result = decodeDhcp(bytes);
  if (!result.ok) throw result.error;
  return result.value;
}

function errorOf(bytes: Uint8Array) {
  const result = decodeDhcp(bytes);
  if (result.ok) throw new Error('expected a decode error');
  return { code: result.error.code, offset: result.error.offset, option: result.error.option, name: result.error.name };
}

/** A request header (op 1, Ethernet, xid 1) whose sname/file are given, followed by the cookie. */
function withFields(sname: Buffer, file: Buffer, opts: { op?: string; hlen?: string; cookie?: string } = {}) {
  return hex`
    ${Buffer.from(opts.op ?? '01', 'hex')} 01 ${Buffer.from(opts.hlen ?? '06', 'hex')} 00   # op, htype, hlen, hops
    00000001 0000 0000                 # xid, secs, flags
    00000000 00000000 00000000 00000000 # ciaddr yiaddr siaddr giaddr
    020000000001 ${zeros(10)}
    ${sname}
    ${file}
    ${Buffer.from(opts.cookie ?? '63825363', 'hex')}
  `;
}
const plainHeader = (opts: { op?: string; hlen?: string; cookie?: string } = {}) =>
  withFields(zeros(64), zeros(128), opts);

describe('decodeDhcp: real requests', () => {
  it('decodes an EDK2 UEFI DISCOVER into the whole typed structure', () => {
    expect(decoded(rq.uefiDiscover)).toEqual({
      op: 1,
      htype: 1,
      hlen: 6,
      hops: 0,
      xid: 0xbdefd0c5,
      secs: 0,
      flags: 0x8000,
      ciaddr: '0.0.0.0',
      yiaddr: '0.0.0.0',
      siaddr: '0.0.0.0',
      giaddr: '0.0.0.0',
      chaddr: hex`525400123458 ${zeros(10)}`,
      sname: '',
      file: '',
      options: {
        messageType: 1,
        maxMessageSize: 1472,
        parameterList: hex`01 02 03 04 05 06 0c 0d 0f 11 12 16 17 1c 28 29 2a 2b 32 33 36 3a 3b 3c 42 43 61 80 81 82 83 84 85 86 87`,
        clientMachineId: { type: 0, id: rq.GUID_A },
        clientNdi: { type: 1, major: 3, minor: 0 },
        clientArch: [7],
        vendorClass: 'PXEClient:Arch:00007:UNDI:003000',
        other: [],
      },
    });
  });

  it('reads option 77 raw "iPXE" (not RFC 3004) and option 175 as iPXE sub-options', () => {
    expect(decoded(rq.ipxe77Discover).options.userClass).toEqual({ format: 'raw', classes: ['iPXE'] });
    expect(decoded(rq.ipxe77Discover).options.clientId).toEqual(hex`01 525400123457`);
    expect(decoded(rq.ipxe175Discover).options.ipxe).toEqual({
      kind: 'encapsulated',
      options: [
        { code: 0xb1, data: hex`01 8086 100e` }, // BUS_ID: PCI 8086:100e
        { code: 0xeb, data: hex`01 00 00` }, // VERSION 1.0.0
        { code: 0x17, data: hex`01` }, // DNS
        { code: 0x13, data: hex`01` }, // HTTP
        { code: 0x15, data: hex`01` }, // TFTP
        { code: 0x11, data: hex`01` }, // PXE
      ],
    });
  });

  it('reads option 77 as RFC 3004 length-prefixed user classes when it is well formed', () => {
    const bytes = hex`${plainHeader()} 35 01 01  4d 0a 04 ${ascii('iPXE')} 04 ${ascii('rack')}  ff`;
    expect(decoded(bytes).options.userClass).toEqual({ format: 'rfc3004', classes: ['iPXE', 'rack'] });
  });

  it('reads option 82 as opaque bytes and unknown options in order of first appearance', () => {
    const p = decoded(rq.biosDiscoverRelayed);
    expect(p.giaddr).toBe('10.78.0.1');
    expect(p.hops).toBe(1);
    expect(p.options.relayAgent).toEqual(hex`01 04 00010005 02 06 020000aa0001`);
    const q = decoded(hex`${plainHeader()} 35 01 01  0c 02 ${ascii('pc')}  01 04 ffffff00  ff`);
    expect(q.options.other).toEqual([
      { code: 12, data: ascii('pc') },
      { code: 1, data: hex`ffffff00` },
    ]);
  });

  it('accepts a Uint8Array as well as a Buffer, and a missing end option', () => {
    const bytes = hex`${plainHeader()} 35 01 01`;
    expect(decoded(new Uint8Array(bytes)).options.messageType).toBe(1);
  });

  it('reads header text up to the first NUL, and a full-width field without one', () => {
    const p = decoded(withFields(field('boot-server', 64), Buffer.alloc(128, 0x61)));
    expect(p.sname).toBe('boot-server');
    expect(p.file).toBe('a'.repeat(128));
  });
});

describe('decodeDhcp: PXE option 43', () => {
  it('reads sub-options 6, 8, 9, 10 and 71 (PXE 2.1 §2.4.1)', () => {
    const bytes = hex`
      ${plainHeader()}
      35 01 05
      2b 2a                                   # 43, 42 bytes of PXE sub-options:
        06 01 03                              # 6 discovery control = 3
        08 07 8000 01 0a4d0001                # 8 boot servers: type 0x8000, 1 address
        09 0c 8000 09 ${ascii('iPXE boot')}   # 9 menu: type 0x8000, 9-byte description
        0a 04 05 ${ascii('PXE')}              # 10 prompt: 5 s, "PXE"
        47 04 8000 0000                       # 71 boot item: type 0x8000, layer 0
        b0 01 01                              # another sub-option, kept as raw bytes
        ff                                    # end of sub-options
      ff
    `;
    expect(decoded(bytes).options.vendor).toEqual({
      kind: 'pxe',
      discoveryControl: 3,
      bootServers: [{ type: 0x8000, addresses: ['10.77.0.1'] }],
      bootMenu: [{ type: 0x8000, description: 'iPXE boot' }],
      menuPrompt: { timeout: 5, prompt: 'PXE' },
      bootItem: { type: 0x8000, layer: 0 },
      other: [{ code: 0xb0, data: hex`01` }],
    });
  });

  it('keeps option 43 raw when it is not well-formed PXE sub-options (another vendor)', () => {
    const bytes = hex`${plainHeader()} 35 01 01  2b 03 06 05 01  ff`;
    expect(decoded(bytes).options.vendor).toEqual({ kind: 'raw', data: hex`06 05 01` });
    const twice = hex`${plainHeader()} 35 01 01  2b 06 06 01 08 06 01 08  ff`;
    expect(decoded(twice).options.vendor).toEqual({ kind: 'raw', data: hex`06 01 08 06 01 08` });
  });
});

describe('decodeDhcp: overload (RFC 2131 §4.1, RFC 2132 §9.3) and long options (RFC 3396)', () => {
  it('reads options from file (52 = 1) and sname (52 = 2 or 3); those header strings are then empty', () => {
    const file = Buffer.concat([hex`43 08 ${ascii('ipxe.efi')} ff`], 128);
    const sname = Buffer.concat([hex`42 09 ${ascii('10.77.0.1')} ff`], 64);
    const p = decoded(hex`${withFields(zeros(64), file)} 35 01 02  34 01 01  ff`);
    expect(p.options.bootFile).toBe('ipxe.efi');
    expect(p.file).toBe('');
    const both = decoded(hex`${withFields(sname, file)} 35 01 02  34 01 03  ff`);
    expect(both.options).toMatchObject({ bootFile: 'ipxe.efi', tftpServer: '10.77.0.1' });
    expect([both.file, both.sname]).toEqual(['', '']);
  });

  it('concatenates split instances in the order options, file, sname (RFC 3396 §7)', () => {
    const file = Buffer.concat([hex`3c 02 ${ascii('nt')} ff`], 128);
    const sname = Buffer.concat([hex`3c 05 ${ascii(':Arch')} ff`], 64);
    const p = decoded(
      hex`${withFields(sname, file)} 3c 03 ${ascii('PXE')} 35 01 01 3c 04 ${ascii('Clie')} 34 01 03 ff`,
    );
    expect(p.options.vendorClass).toBe('PXEClient:Arch');
    expect(p.options.messageType).toBe(1);
  });

  it('concatenates interleaved repeats of several codes, each in its own order', () => {
    const p = decoded(hex`
      ${plainHeader()}
      3c 01 ${ascii('a')}  0c 01 ${ascii('x')}  35 01 01  3c 01 ${ascii('b')}  3c 01 ${ascii('c')}  0c 01 ${ascii('y')}
      ff
    `);
    expect(p.options).toEqual({ vendorClass: 'abc', messageType: 1, other: [{ code: 12, data: ascii('xy') }] });
  });

  it('stays linear on a datagram of thousands of repeated options', () => {
    const repeats = Buffer.concat(Array.from({ length: 20_000 }, (_, i) => hex`${Buffer.from([1 + (i % 40)])} 01 00`));
    const p = decoded(hex`${plainHeader()} 35 01 01 ${repeats} ff`);
    expect(p.options.other).toHaveLength(40);
    expect(p.options.other[0]?.data).toHaveLength(500);
  });

  it('splits an option longer than 255 bytes into consecutive instances when encoding', () => {
    const relay = Buffer.alloc(300, 0xab);
    const packet: DhcpPacket = {
      ...decoded(rq.biosDiscoverNo97),
      options: { messageType: 2, relayAgent: relay, other: [] },
    };
    const bytes = encodeDhcp(packet);
    expect(dump(bytes.subarray(240))).toBe(
      dump(hex`35 01 02  52 ff ${Buffer.alloc(255, 0xab)}  52 2d ${Buffer.alloc(45, 0xab)}  ff`),
    );
    expect(decoded(bytes).options.relayAgent).toEqual(relay);
  });
});

describe('decodeDhcp: malformed input is a typed error value', () => {
  const cases: [string, Buffer, DhcpDecodeErrorCode, number, number | null][] = [
    ['empty datagram', Buffer.alloc(0), 'truncated-header', 0, null],
    ['BOOTP header cut at 100 bytes', rq.uefiDiscover.subarray(0, 100), 'truncated-header', 100, null],
    ['header without the cookie (236 bytes)', rq.uefiDiscover.subarray(0, 236), 'truncated-header', 236, null],
    ['op 3', hex`${plainHeader({ op: '03' })} ff`, 'bad-op', 0, null],
    ['hlen 17 > 16-byte chaddr', hex`${plainHeader({ hlen: '11' })} ff`, 'bad-hlen', 2, null],
    ['wrong magic cookie', hex`${plainHeader({ cookie: '63825364' })} ff`, 'bad-cookie', 236, null],
    [
      'option length past the end',
      hex`${plainHeader()} 35 01 01 3c 20 ${ascii('PXEClient')}`,
      'option-overrun',
      243,
      60,
    ],
    ['option code without its length byte', hex`${plainHeader()} 35 01 01 3c`, 'option-overrun', 243, 60],
    ['53 of length 2', hex`${plainHeader()} 35 02 01 01 ff`, 'bad-option-length', 240, 53],
    ['54 of length 3', hex`${plainHeader()} 35 01 03 36 03 0a4d00 ff`, 'bad-option-length', 243, 54],
    ['93 of odd length', hex`${plainHeader()} 35 01 01 5d 03 000700 ff`, 'bad-option-length', 243, 93],
    ['93 empty', hex`${plainHeader()} 35 01 01 5d 00 ff`, 'bad-option-length', 243, 93],
    ['94 of length 2', hex`${plainHeader()} 35 01 01 5e 02 0102 ff`, 'bad-option-length', 243, 94],
    ['97 empty', hex`${plainHeader()} 35 01 01 61 00 ff`, 'bad-option-length', 243, 97],
    ['57 of length 1', hex`${plainHeader()} 35 01 01 39 01 05 ff`, 'bad-option-length', 243, 57],
    [
      'two 53s concatenated (RFC 3396) to length 2',
      hex`${plainHeader()} 35 01 01 35 01 03 ff`,
      'bad-option-length',
      240,
      53,
    ],
    ['52 = 4', hex`${plainHeader()} 35 01 01 34 01 04 ff`, 'bad-overload', 243, 52],
    ['52 of length 2', hex`${plainHeader()} 35 01 01 34 02 0101 ff`, 'bad-overload', 243, 52],
    [
      'overload loop: 52 inside the file field it overloads',
      hex`${withFields(zeros(64), Buffer.concat([hex`34 01 03 ff`], 128))} 34 01 01 35 01 01 ff`,
      'overload-loop',
      108,
      52,
    ],
    [
      'overload loop: 52 inside sname',
      hex`${withFields(Buffer.concat([hex`34 01 01 ff`], 64), zeros(128))} 34 01 02 35 01 01 ff`,
      'overload-loop',
      44,
      52,
    ],
    [
      'an option in file running past the 128-byte field',
      hex`${withFields(zeros(64), Buffer.concat([zeros(120), hex`3c 20 ${ascii('PXECli')}`]))} 34 01 01 35 01 01 ff`,
      'option-overrun',
      228,
      60,
    ],
  ];
  for (const [name, bytes, code, offset, option] of cases) {
    it(`${name} → ${code}`, () => {
      expect(errorOf(bytes)).toEqual({ code, offset, option, name: 'DhcpDecodeError' });
    });
  }
});

describe('encodeDhcp', () => {
  it('pads to 300 bytes and ends the options with 255', () => {
    const p = decoded(hex`${plainHeader()} 35 01 01 ff`);
    const bytes = encodeDhcp(p);
    expect(bytes.length).toBe(300);
    expect(dump(bytes.subarray(240))).toBe(dump(hex`35 01 01 ff ${zeros(56)}`));
  });

  it('rejects values that cannot be encoded (a bug in the caller, not input)', () => {
    const p = decoded(hex`${plainHeader()} 35 01 01 ff`);
    expect(() => encodeDhcp({ ...p, siaddr: '10.0.0.256' })).toThrow(RangeError);
    expect(() => encodeDhcp({ ...p, file: 'x'.repeat(129) })).toThrow(RangeError);
    expect(() => encodeDhcp({ ...p, options: { other: [{ code: 53, data: hex`01` }] } })).toThrow(RangeError);
  });
});
