// decide(), classify(), boot-file choice and reply shaping: every drop reason, every supported arch, overrides,
// IPv6 URLs, destinations and size limits.

import { describe, expect, it } from 'vitest';
import { decodeDhcp } from '../src/dhcp/codec.js';
import { createDecideContext, decide } from '../src/dhcp/decide.js';
import type { DecideContextInput, Decision, Listener } from '../src/dhcp/decide.js';
import type { DhcpOptions, DhcpPacket } from '../src/dhcp/packet.js';
import { buildReply, maxReplyLength, replyDestination } from '../src/dhcp/reply.js';
import { respond } from '../src/dhcp/respond.js';
import * as rq from './fixtures/dhcp/requests.js';

const base: DecideContextInput = {
  mode: 'both',
  serverAddress: '10.77.0.1',
  httpHost: '10.77.0.1',
  httpPort: 8080,
  bootFiles: { bios: 'undionly.kpxe', 'uefi-x64': 'ipxe.efi', arm64: 'ipxe-arm64.efi' },
};
const ctx = createDecideContext(base);

function packet(bytes: Buffer): DhcpPacket {
  const r = decodeDhcp(bytes);
  if (!r.ok) throw r.error;
  return r.value;
}

const uefi = packet(rq.uefiDiscover);
const with_ = (p: DhcpPacket, header: Partial<DhcpPacket>, options: Partial<DhcpOptions> = {}): DhcpPacket => ({
  ...p,
  ...header,
  options: { ...p.options, ...options },
});
const reasonOf = (d: Decision) => (d.kind === 'drop' ? d.reason : `reply:${d.reply.reply}:${d.reply.bootFile}`);
const run = (p: DhcpPacket, listener: Listener = 67, c = ctx) => reasonOf(decide({ packet: p, listener }, c));

describe('decide: drop reasons', () => {
  const cases: [string, DhcpPacket, Listener, ReturnType<typeof createDecideContext>, string][] = [
    ['mode off', uefi, 67, createDecideContext({ ...base, mode: 'off' }), 'mode-disabled'],
    ['port 67 in 4011-only mode', uefi, 67, createDecideContext({ ...base, mode: '4011-only' }), 'mode-disabled'],
    ['a BOOTREPLY (another server)', with_(uefi, { op: 2 }), 67, ctx, 'not-bootp-request'],
    ['no option 53 (plain BOOTP)', with_(uefi, {}, { messageType: undefined }), 67, ctx, 'not-dhcp'],
    ['htype 6 (IEEE 802)', with_(uefi, { htype: 6 }), 67, ctx, 'unsupported-hardware'],
    ['hlen 8', with_(uefi, { hlen: 8 }), 67, ctx, 'unsupported-hardware'],
    ['DISCOVER on 4011', uefi, 4011, ctx, 'wrong-message-type'],
    ['RELEASE on 67', with_(uefi, {}, { messageType: 7 }), 67, ctx, 'wrong-message-type'],
    ['REQUEST for the site server', packet(rq.ipxeRequestForSiteServer), 67, ctx, 'other-server'],
    ['plain DHCP client', packet(rq.plainDiscover), 67, ctx, 'not-netboot'],
    ['vendor class of another kind', with_(uefi, {}, { vendorClass: 'MSFT 5.0' }), 67, ctx, 'not-netboot'],
    [
      'PXEClient without 93 or Arch field',
      with_(uefi, {}, { clientArch: undefined, vendorClass: 'PXEClient' }),
      67,
      ctx,
      'no-arch',
    ],
    ['arch 10 (ARM32 UEFI)', with_(uefi, {}, { clientArch: [10] }), 67, ctx, 'unsupported-arch'],
    ['arch 17 (EBC HTTP)', with_(uefi, {}, { clientArch: [17] }), 67, ctx, 'unsupported-arch'],
    [
      'option 97 of type 1',
      with_(uefi, {}, { clientMachineId: { type: 1, id: rq.GUID_A } }),
      67,
      ctx,
      'bad-client-guid',
    ],
    [
      'option 97 of 10 bytes',
      with_(uefi, {}, { clientMachineId: { type: 0, id: rq.GUID_A.subarray(0, 9) } }),
      67,
      ctx,
      'bad-client-guid',
    ],
  ];
  for (const [name, p, listener, c, expected] of cases) {
    it(`${name} → ${expected}`, () => expect(run(p, listener, c)).toBe(expected));
  }

  it('marks a netboot REQUEST to another server for observation only when it carries option 50', () => {
    const request = packet(rq.ipxeRequestForSiteServer);
    expect(decide({ packet: request, listener: 67 }, ctx)).toEqual({
      kind: 'drop',
      reason: 'other-server',
      observe: true,
    });
    const no50 = with_(request, {}, { requestedIp: undefined });
    expect(decide({ packet: no50, listener: 67 }, ctx)).toEqual({ kind: 'drop', reason: 'other-server' });
  });

  it('leaves a lease REQUEST to the site server alone even when that server shares our address', () => {
    // iPXE taking its lease from a site DHCP server on the proxy's own address: option 54 names us, option 50
    // asks for an address. Only the site server may answer it.
    const request = with_(packet(rq.ipxeRequestForSiteServer), {}, { serverId: '10.77.0.1' });
    expect(decide({ packet: request, listener: 67 }, ctx)).toEqual({
      kind: 'drop',
      reason: 'other-server',
      observe: true,
    });
  });
});

describe('decide: answers', () => {
  it.each([
    [0, 'reply:offer:undionly.kpxe'],
    [6, 'reply:offer:ipxe.efi'],
    [7, 'reply:offer:ipxe.efi'],
    [9, 'reply:offer:ipxe.efi'],
    [11, 'reply:offer:ipxe-arm64.efi'],
    [22, 'reply:offer:ipxe-arm64.efi'],
    [15, 'reply:offer:http://10.77.0.1:8080/ipxe-bin/amd64/ipxe.efi'],
    [16, 'reply:offer:http://10.77.0.1:8080/ipxe-bin/amd64/ipxe.efi'],
    [19, 'reply:offer:http://10.77.0.1:8080/ipxe-bin/arm64/ipxe-arm64.efi'],
    [24, 'reply:offer:http://10.77.0.1:8080/ipxe-bin/arm64/ipxe-arm64.efi'],
  ])('option 93 = %i → %s', (arch, expected) => {
    expect(run(with_(uefi, {}, { clientArch: [arch] }))).toBe(expected);
  });

  it('classifies U-Boot arm64 as firmware "uboot" (TFTP and HTTP)', () => {
    for (const arch of [22, 24]) {
      const d = decide({ packet: with_(uefi, {}, { clientArch: [arch] }), listener: 67 }, ctx);
      expect(d.kind === 'reply' && [d.reply.client.firmware, d.reply.client.arch]).toEqual(['uboot', 'arm64']);
    }
  });

  it('takes the first supported entry of a multi-valued option 93', () => {
    expect(run(with_(uefi, {}, { clientArch: [10, 11, 7] }))).toBe('reply:offer:ipxe-arm64.efi');
  });

  it('reads the arch from option 60 when a ROM sends no option 93', () => {
    expect(run(with_(uefi, {}, { clientArch: undefined }))).toBe('reply:offer:ipxe.efi');
  });

  it('answers REQUEST and INFORM on 4011 with an ACK, also in 4011-only mode', () => {
    const only4011 = createDecideContext({ ...base, mode: '4011-only' });
    expect(run(packet(rq.uefiRequest4011), 4011, only4011)).toBe('reply:ack:ipxe.efi');
    expect(run(with_(packet(rq.uefiRequest4011), {}, { messageType: 8 }), 4011)).toBe('reply:ack:ipxe.efi');
  });

  it('answers a REQUEST on 67 that names this proxy in option 54 with an ACK', () => {
    const toUs = with_(packet(rq.uefiRequest4011), {}, { serverId: '10.77.0.1' });
    expect(run(toUs, 67)).toBe('reply:ack:ipxe.efi');
  });

  it('uses the configured builds (e.g. snponly.efi) and per-MAC overrides for firmware, never for iPXE', () => {
    const c = createDecideContext({
      ...base,
      bootFiles: { ...base.bootFiles, 'uefi-x64': 'snponly.efi' },
      overrides: new Map([
        ['52:54:00:12:34:58', 'custom.efi'],
        ['52:54:00:aa:00:16', 'shim.efi'],
        ['52:54:00:aa:00:19', 'http://10.0.0.9/uki.efi'],
        ['52:54:00:12:34:57', 'never-used.efi'],
      ]),
    });
    expect(run(packet(rq.uefiDiscover), 67, c)).toBe('reply:offer:custom.efi');
    expect(run(packet(rq.uefiDiscoverZeroGuid), 67, c)).toBe('reply:offer:snponly.efi');
    expect(run(packet(rq.httpX64Discover), 67, c)).toBe('reply:offer:http://10.77.0.1:8080/ipxe-bin/amd64/shim.efi');
    expect(run(packet(rq.httpArm64Discover), 67, c)).toBe('reply:offer:http://10.0.0.9/uki.efi');
    expect(run(packet(rq.ipxe77Discover), 67, c)).toBe('reply:offer:http://10.77.0.1:8080/boot.ipxe');
  });

  it('brackets an IPv6 boot-http address in URLs', () => {
    const c = createDecideContext({ ...base, httpHost: 'fd77::1' });
    expect(run(packet(rq.ipxe77Discover), 67, c)).toBe('reply:offer:http://[fd77::1]:8080/boot.ipxe');
    expect(run(packet(rq.httpArm64Discover), 67, c)).toBe(
      'reply:offer:http://[fd77::1]:8080/ipxe-bin/arm64/ipxe-arm64.efi',
    );
  });
});

describe('reply shaping', () => {
  const ports = { client: 68, relay: 67 };

  it('answers an INFORM on 67 by unicast to ciaddr:68, flags copied', () => {
    const inform = with_(packet(rq.uefiRequest4011), {}, { messageType: 8 });
    const d = decide({ packet: inform, listener: 67 }, ctx);
    if (d.kind !== 'reply') throw new Error(d.reason);
    expect(replyDestination(inform, 67, { address: '10.77.0.161', port: 68 }, ports)).toEqual({
      address: '10.77.0.161',
      port: 68,
    });
    expect(buildReply(inform, d.reply, ctx).flags).toBe(0);
  });

  it('puts a boot URL longer than 127 bytes in option 67 only', () => {
    const c = createDecideContext({
      ...base,
      httpHost: 'fd77:1234:5678:9abc:def0:1234:5678:9abc',
      bootFiles: { ...base.bootFiles, arm64: `${'a'.repeat(70)}.efi` },
    });
    const request = packet(rq.httpArm64Discover);
    const d = decide({ packet: request, listener: 67 }, c);
    if (d.kind !== 'reply') throw new Error(d.reason);
    const reply = buildReply(request, d.reply, c);
    expect(d.reply.bootFile.length).toBeGreaterThan(127);
    expect([reply.file, reply.options.bootFile]).toEqual(['', d.reply.bootFile]);
  });

  it('honours option 57 (minus IP/UDP headers) and caps replies at 1472 bytes', () => {
    expect(maxReplyLength(with_(uefi, {}, { maxMessageSize: 576 }))).toBe(548);
    expect(maxReplyLength(with_(uefi, {}, { maxMessageSize: 65280 }))).toBe(1472);
    expect(maxReplyLength(with_(uefi, {}, { maxMessageSize: 300 }))).toBe(1472);
  });

  it('drops a reply that would exceed 1472 bytes (a huge echoed option 82)', () => {
    const bytes = Buffer.concat([
      rq.biosDiscoverNo97.subarray(0, rq.biosDiscoverNo97.length - 1),
      ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([82, 250]), Buffer.alloc(250, 7)])),
      Buffer.from([255]),
    ]);
    expect(respond(bytes, 67, { address: '0.0.0.0', port: 68 }, ctx, ports)).toMatchObject({
      kind: 'drop',
      reason: 'reply-too-large',
    });
  });
});
