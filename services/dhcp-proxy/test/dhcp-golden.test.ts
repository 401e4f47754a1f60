// Golden ProxyDHCP exchanges: real firmware requests (fixtures) in, byte-exact replies out, plus the destination
// and the fact reported. Expected replies are written out by hand, annotated with option numbers and RFC sections.

import { describe, expect, it } from 'vitest';
import { decodeDhcp, encodeDhcp } from '../src/dhcp/codec.js';
import { createDecideContext } from '../src/dhcp/decide.js';
import type { Listener } from '../src/dhcp/decide.js';
import { servedFact } from '../src/dhcp/facts.js';
import type { ServedFact } from '../src/dhcp/facts.js';
import { respond } from '../src/dhcp/respond.js';
import type { Destination } from '../src/dhcp/reply.js';
import { ascii, dump, field, hex, zeros } from './fixtures/dhcp/hex.js';
import * as rq from './fixtures/dhcp/requests.js';

const ctx = createDecideContext({
  mode: 'both',
  serverAddress: '10.77.0.1',
  httpHost: '10.77.0.1',
  httpPort: 8080,
  bootFiles: { bios: 'undionly.kpxe', 'uefi-x64': 'ipxe.efi', arm64: 'ipxe-arm64.efi' },
});
const ports = { client: 68, relay: 67 };
const BROADCAST: Destination = { address: '255.255.255.255', port: 68 };
const CLIENT: Destination = { address: '0.0.0.0', port: 68 };

/** BOOTREPLY header as this proxy writes it (RFC 2131 §2 and table 3): hops 0, secs 0, yiaddr 0 (proxy offer). */
function replyHeader(h: { xid: string; flags: string; ciaddr?: string; giaddr?: string; mac: string; file: string }) {
  return hex`
    02 01 06 00                                  # op=2 BOOTREPLY, htype 1, hlen 6, hops 0
    ${Buffer.from(h.xid, 'hex')}                 # xid copied
    0000                                         # secs 0
    ${Buffer.from(h.flags, 'hex')}               # flags
    ${Buffer.from(h.ciaddr ?? '00000000', 'hex')} # ciaddr (0 in an OFFER, echoed in an ACK)
    00000000                                     # yiaddr 0: what marks a proxy offer
    0a4d0001                                     # siaddr = next server 10.77.0.1
    ${Buffer.from(h.giaddr ?? '00000000', 'hex')} # giaddr copied
    ${Buffer.from(h.mac, 'hex')}
    ${zeros(10)}
    ${field('10.77.0.1', 64)}
    ${field(h.file, 128)}
    63 82 53 63                                  # magic cookie
  `;
}

const OPT_54 = hex`36 04 0a4d0001`; // 54 server identifier 10.77.0.1 (RFC 2132 §9.7)
const OPT_43_BIOS = hex`2b 04 06 01 08 ff`; // 43: PXE sub-option 6 = 8 "use the boot file, skip discovery", end
const OPT_60_PXE = hex`3c 09 ${ascii('PXEClient')}`; // 60 (PXE 2.1 §2.2)
const OPT_60_HTTP = hex`3c 0a ${ascii('HTTPClient')}`; // 60 (UEFI 2.x §24.7)
const OPT_66 = hex`42 09 ${ascii('10.77.0.1')}`; // 66 TFTP server name (RFC 2132 §9.4)
const opt97 = (guid: Buffer) => hex`61 11 00 ${guid}`; // 97 echoed (RFC 4578 §2.3)
const opt67 = (file: string) => hex`43 ${Buffer.from([file.length])} ${ascii(file)}`; // 67 (RFC 2132 §9.5)

const SCRIPT = 'http://10.77.0.1:8080/boot.ipxe';

interface Golden {
  readonly name: string;
  readonly request: Buffer;
  readonly listener: Listener;
  readonly source: Destination;
  readonly reply: Buffer;
  readonly to: Destination;
  readonly fact: Partial<ServedFact>;
}

const goldens: Golden[] = [
  {
    name: 'BIOS PXE ROM, DISCOVER on 67 → OFFER with undionly.kpxe and 43.6 = 8',
    request: rq.biosDiscover,
    listener: 67,
    source: CLIENT,
    reply: hex`
      ${replyHeader({ xid: '0000b105', flags: '8000', mac: '000c29aabb01', file: 'undionly.kpxe' })}
      35 01 02              # 53 DHCPOFFER
      ${OPT_54}
      ${OPT_43_BIOS}
      ${OPT_60_PXE}
      ${OPT_66}
      ${opt67('undionly.kpxe')}
      ${opt97(rq.GUID_A)}
      ff                    # end (312 bytes: no padding needed)
    `,
    to: BROADCAST,
    fact: { mac: '00:0c:29:aa:bb:01', uuid: rq.UUID_A, machineId: rq.UUID_A, firmware: 'bios', clientArch: 0 },
  },
  {
    name: 'BIOS PXE ROM without option 97 → no 97 echoed, padded to 300 bytes',
    request: rq.biosDiscoverNo97,
    listener: 67,
    source: CLIENT,
    reply: hex`
      ${replyHeader({ xid: '0000b106', flags: '8000', mac: '000c29aabb02', file: 'undionly.kpxe' })}
      35 01 02              # 53 DHCPOFFER
      ${OPT_54}
      ${OPT_43_BIOS}
      ${OPT_60_PXE}
      ${OPT_66}
      ${opt67('undionly.kpxe')}
      ff                    # end at byte 293
      ${zeros(7)}
    `,
    to: BROADCAST,
    fact: { mac: '00:0c:29:aa:bb:02', uuid: null, machineId: 'mac-000c29aabb02', firmware: 'bios' },
  },
  {
    name: 'relayed BIOS DISCOVER → OFFER to giaddr:67, giaddr kept, option 82 echoed last, broadcast bit set',
    request: rq.biosDiscoverRelayed,
    listener: 67,
    source: { address: '10.78.0.1', port: 67 },
    reply: hex`
      ${replyHeader({ xid: '0000b107', flags: '8000', giaddr: '0a4e0001', mac: '000c29aabb03', file: 'undionly.kpxe' })}
      35 01 02              # 53 DHCPOFFER
      ${OPT_54}
      ${OPT_43_BIOS}
      ${OPT_60_PXE}
      ${OPT_66}
      ${opt67('undionly.kpxe')}
      ${opt97(rq.GUID_A)}
      52 0e 01 04 00010005 02 06 020000aa0001   # 82 echoed unchanged (RFC 3046 §2.2)
      ff
    `,
    to: { address: '10.78.0.1', port: 67 },
    fact: { relay: '10.78.0.1', mac: '00:0c:29:aa:bb:03' },
  },
  {
    name: 'UEFI x64 PXE (EDK2), DISCOVER on 67 → OFFER without 43 (so it asks again on 4011)',
    request: rq.uefiDiscover,
    listener: 67,
    source: CLIENT,
    reply: hex`
      ${replyHeader({ xid: 'bdefd0c5', flags: '8000', mac: '525400123458', file: 'ipxe.efi' })}
      35 01 02              # 53 DHCPOFFER
      ${OPT_54}
      ${OPT_60_PXE}
      ${OPT_66}
      ${opt67('ipxe.efi')}
      ${opt97(rq.GUID_A)}
      ff                    # 301 bytes
    `,
    to: BROADCAST,
    fact: { firmware: 'uefi', arch: 'amd64', clientArch: 7, port: 67, messageType: 'discover' },
  },
  {
    name: 'UEFI x64 PXE (EDK2), REQUEST on 4011 → ACK to the source address and port, ciaddr echoed',
    request: rq.uefiRequest4011,
    listener: 4011,
    source: { address: '10.77.0.161', port: 4011 },
    reply: hex`
      ${replyHeader({ xid: 'a272af55', flags: '0000', ciaddr: '0a4d00a1', mac: '525400123458', file: 'ipxe.efi' })}
      35 01 05              # 53 DHCPACK
      ${OPT_54}
      ${OPT_60_PXE}
      ${OPT_66}
      ${opt67('ipxe.efi')}
      ${opt97(rq.GUID_A)}
      ff
    `,
    to: { address: '10.77.0.161', port: 4011 },
    fact: { port: 4011, messageType: 'request', clientAddress: '10.77.0.161', bootFile: 'ipxe.efi' },
  },
  {
    name: 'all-zero GUID → OFFER echoes it, the machine is keyed by its MAC',
    request: rq.uefiDiscoverZeroGuid,
    listener: 67,
    source: CLIENT,
    reply: hex`
      ${replyHeader({ xid: 'bdefd0c6', flags: '8000', mac: '525400123459', file: 'ipxe.efi' })}
      35 01 02              # 53 DHCPOFFER
      ${OPT_54}
      ${OPT_60_PXE}
      ${OPT_66}
      ${opt67('ipxe.efi')}
      ${opt97(zeros(16))}
      ff
    `,
    to: BROADCAST,
    fact: { uuid: null, machineId: 'mac-525400123459' },
  },
  {
    name: 'arm64 UEFI PXE → OFFER with the arm64 iPXE build, no 43',
    request: rq.arm64Discover,
    listener: 67,
    source: CLIENT,
    reply: hex`
      ${replyHeader({ xid: '0a640011', flags: '8000', mac: '525400aa0011', file: 'ipxe-arm64.efi' })}
      35 01 02              # 53 DHCPOFFER
      ${OPT_54}
      ${OPT_60_PXE}
      ${OPT_66}
      ${opt67('ipxe-arm64.efi')}
      ${opt97(rq.GUID_B)}
      ff
    `,
    to: BROADCAST,
    fact: { arch: 'arm64', firmware: 'uefi', clientArch: 11, uuid: rq.UUID_B },
  },
  {
    name: 'x64 UEFI HTTP boot → OFFER with 60 HTTPClient and an IP-literal URL in file and 67, no 66/43',
    request: rq.httpX64Discover,
    listener: 67,
    source: CLIENT,
    reply: hex`
      ${replyHeader({ xid: '0a640016', flags: '8000', mac: '525400aa0016', file: 'http://10.77.0.1:8080/ipxe-bin/amd64/ipxe.efi' })}
      35 01 02              # 53 DHCPOFFER
      ${OPT_54}
      ${OPT_60_HTTP}
      ${opt67('http://10.77.0.1:8080/ipxe-bin/amd64/ipxe.efi')}
      ${opt97(rq.GUID_B)}
      ff
    `,
    to: BROADCAST,
    fact: { arch: 'amd64', firmware: 'uefi-http', clientArch: 16 },
  },
  {
    name: 'arm64 UEFI HTTP boot → OFFER with the arm64 URL',
    request: rq.httpArm64Discover,
    listener: 67,
    source: CLIENT,
    reply: hex`
      ${replyHeader({ xid: '0a640019', flags: '8000', mac: '525400aa0019', file: 'http://10.77.0.1:8080/ipxe-bin/arm64/ipxe-arm64.efi' })}
      35 01 02              # 53 DHCPOFFER
      ${OPT_54}
      ${OPT_60_HTTP}
      ${opt67('http://10.77.0.1:8080/ipxe-bin/arm64/ipxe-arm64.efi')}
      ${opt97(rq.GUID_B)}
      ff
    `,
    to: BROADCAST,
    fact: { arch: 'arm64', firmware: 'uefi-http', clientArch: 19 },
  },
  {
    name: 'iPXE (option 77 "iPXE", UEFI) → the boot script URL, which breaks the chainload loop',
    request: rq.ipxe77Discover,
    listener: 67,
    source: CLIENT,
    reply: hex`
      ${replyHeader({ xid: '4c4dd141', flags: '8000', mac: '525400123457', file: SCRIPT })}
      35 01 02              # 53 DHCPOFFER
      ${OPT_54}
      ${OPT_60_PXE}
      ${opt67(SCRIPT)}
      ${opt97(rq.GUID_A)}
      ff
    `,
    to: BROADCAST,
    fact: { firmware: 'ipxe', isIpxe: true, userClass: 'iPXE', bootFile: SCRIPT },
  },
  {
    name: 'iPXE (option 175 only, BIOS) → the boot script URL, 43 kept for the BIOS class',
    request: rq.ipxe175Discover,
    listener: 67,
    source: CLIENT,
    reply: hex`
      ${replyHeader({ xid: '0070e90c', flags: '8000', mac: '525400123456', file: SCRIPT })}
      35 01 02              # 53 DHCPOFFER
      ${OPT_54}
      ${OPT_43_BIOS}
      ${OPT_60_PXE}
      ${opt67(SCRIPT)}
      ${opt97(rq.GUID_A)}
      ff
    `,
    to: BROADCAST,
    fact: { firmware: 'ipxe', isIpxe: true, userClass: null, clientArch: 0, vendorClass: 'PXEClient' },
  },
];

describe('ProxyDHCP golden exchanges', () => {
  for (const g of goldens) {
    it(g.name, () => {
      const outcome = respond(g.request, g.listener, g.source, ctx, ports);
      expect(outcome.kind).toBe('reply');
      if (outcome.kind !== 'reply') return;
      expect(dump(outcome.bytes)).toBe(dump(g.reply));
      expect(outcome.to).toEqual(g.to);
      expect(servedFact(outcome.request, outcome.plan, g.listener, 'br0')).toMatchObject(g.fact);
    });

    it(`${g.name}: request and reply round-trip through decode/encode`, () => {
      for (const bytes of [g.request, g.reply]) {
        const first = decodeDhcp(bytes);
        if (!first.ok) throw first.error;
        const again = decodeDhcp(encodeDhcp(first.value));
        if (!again.ok) throw again.error;
        expect(again.value).toEqual(first.value);
      }
      // Replies are canonical: re-encoding gives the very same bytes.
      const reply = decodeDhcp(g.reply);
      if (!reply.ok) throw reply.error;
      expect(dump(encodeDhcp(reply.value))).toBe(dump(g.reply));
    });
  }

  it('reports the whole served fact for the BIOS exchange', () => {
    const outcome = respond(rq.biosDiscover, 67, CLIENT, ctx, ports);
    if (outcome.kind !== 'reply') throw new Error(outcome.kind);
    expect(servedFact(outcome.request, outcome.plan, 67, 'br0')).toEqual({
      mac: '00:0c:29:aa:bb:01',
      uuid: rq.UUID_A,
      machineId: rq.UUID_A,
      arch: 'amd64',
      firmware: 'bios',
      clientArch: 0,
      vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
      userClass: null,
      isIpxe: false,
      relay: null,
      interface: 'br0',
      messageType: 'discover',
      port: 67,
      bootFile: 'undionly.kpxe',
      clientAddress: null,
    });
  });

  it('drops a plain DHCP DISCOVER (no PXEClient/HTTPClient)', () => {
    const outcome = respond(rq.plainDiscover, 67, CLIENT, ctx, ports);
    expect(outcome).toMatchObject({ kind: 'drop', reason: 'not-netboot', observe: false });
  });

  it('does not answer a REQUEST for the site server on 67, but marks it for observation', () => {
    const outcome = respond(rq.ipxeRequestForSiteServer, 67, CLIENT, ctx, ports);
    expect(outcome).toMatchObject({ kind: 'drop', reason: 'other-server', observe: true });
  });
});
