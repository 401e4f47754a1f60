// Real clients against the ProxyDHCP server module in network namespaces (root): ISC perfdhcp broadcasting PXE
// DISCOVERs on a veth (replies captured with tcpdump and decoded), a client without an address that must get a
// broadcast OFFER, a PXE 4011 REQUEST, and a plain DHCP client that must get nothing. perfdhcp always acts as a
// relay agent (it broadcasts from <its address>:67 with giaddr = its address, hops 1), so its OFFERs come back by
// unicast to giaddr:67. The server namespace has no broadcast route: the server's own socket choice must do.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDhcp } from '../src/dhcp/codec.js';
import type { DhcpPacket } from '../src/dhcp/packet.js';
import type { ServedFact } from '../src/dhcp/facts.js';
import {
  collectStdout,
  createNamespacePair,
  netnsUnavailable,
  spawnIn,
  stopChild,
  waitForLine,
} from './fixtures/dhcp/netns.js';
import type { NamespacePair } from './fixtures/dhcp/netns.js';
import { udpDatagrams } from './fixtures/dhcp/pcap.js';
import { hexOf, PERFDHCP, runPerfdhcp } from './fixtures/dhcp/perfdhcp.js';
import * as rq from './fixtures/dhcp/requests.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/dhcp/', import.meta.url));
const TCPDUMP = '/usr/bin/tcpdump';
const unavailable = netnsUnavailable([PERFDHCP, TCPDUMP]);
if (unavailable !== null) {
  console.warn(`SKIPPING dhcp.int.test.ts (real perfdhcp in network namespaces): ${unavailable}`);
}

const GUID_OPTION: [number, string] = [97, `00${rq.GUID_A.toString('hex')}`];

describe.skipIf(unavailable !== null)('ProxyDHCP against real clients in network namespaces', () => {
  let pair: NamespacePair;
  let server: ChildProcessWithoutNullStreams;
  let serverOut: { text: () => string };
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'mbdhcp-'));
    pair = createNamespacePair('mbd', `10.23${Math.floor(Math.random() * 10)}.${Math.floor(Math.random() * 250)}`);
    server = spawnIn(
      pair.server.ns,
      process.execPath,
      ['--import', 'tsx', join(FIXTURES, 'serve.ts'), JSON.stringify({ interface: pair.server.dev })],
      ROOT,
    );
    serverOut = collectStdout(server);
    await waitForLine(server, 'READY ');
  });

  afterAll(async () => {
    if (server) await stopChild(server);
    pair?.cleanup();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs `work` while tcpdump captures the server's replies in the client namespace; returns them decoded. */
  async function capture(name: string, work: () => Promise<void>) {
    const file = join(scratch, `${name}.pcap`);
    const dump = spawnIn(pair.client.ns, TCPDUMP, [
      '-i',
      pair.client.dev,
      '-Z',
      'root', // keep root: tcpdump's own user cannot write into our 0700 scratch directory
      '-n',
      '-U',
      '-w',
      file,
      `udp and src host ${pair.server.address}`,
    ]);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tcpdump did not start')), 10_000);
      let stderr = '';
      dump.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await work();
    await stopChild(dump);
    return udpDatagrams(readFileSync(file)).map((d) => {
      const decoded = decodeDhcp(d.payload);
      if (!decoded.ok) throw decoded.error;
      return { ...d, packet: decoded.value };
    });
  }

  /** One request/reply from a UDP socket in the client namespace (see fixtures/dhcp/exchange.ts). */
  function exchange(bind: { address: string; port: number }, to: { address: string; port: number }, bytes: Buffer) {
    const args = JSON.stringify({ bind, to, hex: bytes.toString('hex') });
    return spawnIn(pair.client.ns, process.execPath, ['--import', 'tsx', join(FIXTURES, 'exchange.ts'), args], ROOT);
  }

  const summary = (p: DhcpPacket) => ({
    op: p.op,
    yiaddr: p.yiaddr,
    giaddr: p.giaddr,
    siaddr: p.siaddr,
    file: p.file,
    messageType: p.options.messageType,
    serverId: p.options.serverId,
    vendorClass: p.options.vendorClass,
    bootFile: p.options.bootFile,
    vendor: p.options.vendor,
    clientMachineId: p.options.clientMachineId && Buffer.from(p.options.clientMachineId.id).toString('hex'),
  });

  it('answers every perfdhcp x64 UEFI PXE DISCOVER (60, 93 = 7, 97) with an OFFER for ipxe.efi (to the relay, giaddr)', async () => {
    let run: Awaited<ReturnType<typeof runPerfdhcp>> | undefined;
    const replies = await capture('uefi', async () => {
      run = await runPerfdhcp({
        ns: pair.client.ns,
        dev: pair.client.dev,
        rate: 50,
        seconds: 1,
        options: [[60, hexOf('PXEClient:Arch:00007:UNDI:003016')], [93, '0007'], GUID_OPTION],
      });
    });
    expect(run?.rc, run?.output).toBe(0);
    expect(run?.received).toBe(run?.sent);
    expect(replies.length).toBe(run?.received);
    for (const r of replies) {
      expect([r.src, r.srcPort, r.dst, r.dstPort]).toEqual([pair.server.address, 67, pair.client.address, 67]);
      expect(summary(r.packet)).toEqual({
        op: 2,
        yiaddr: '0.0.0.0',
        giaddr: pair.client.address,
        siaddr: pair.server.address,
        file: 'ipxe.efi',
        messageType: 2,
        serverId: pair.server.address,
        vendorClass: 'PXEClient',
        bootFile: 'ipxe.efi',
        vendor: undefined,
        clientMachineId: rq.GUID_A.toString('hex'),
      });
    }
    const facts = serverOut
      .text()
      .split('\n')
      .filter((l) => l.startsWith('SERVED '))
      .map((l) => JSON.parse(l.slice(7)) as ServedFact);
    expect(facts.at(-1)).toMatchObject({
      uuid: rq.UUID_A,
      machineId: rq.UUID_A,
      arch: 'amd64',
      firmware: 'uefi',
      clientArch: 7,
      interface: pair.server.dev,
      relay: pair.client.address,
      port: 67,
      bootFile: 'ipxe.efi',
    });
  });

  it('broadcasts the OFFER to a client without an address (giaddr 0), from the interface, with no route', async () => {
    const client = exchange(
      { address: '0.0.0.0', port: 68 },
      { address: '255.255.255.255', port: 67 },
      rq.uefiDiscover,
    );
    const line = await waitForLine(client, 'REPLY ');
    const [from, hex] = line.split(' ') as [string, string];
    expect(from).toBe(`${pair.server.address}:67`);
    const offer = decodeDhcp(Buffer.from(hex, 'hex'));
    if (!offer.ok) throw offer.error;
    expect(summary(offer.value)).toMatchObject({ messageType: 2, giaddr: '0.0.0.0', file: 'ipxe.efi' });
    await stopChild(client);
  });

  it('answers perfdhcp BIOS PXE DISCOVERs (93 = 0) with undionly.kpxe and option 43.6 = 8', async () => {
    let run: Awaited<ReturnType<typeof runPerfdhcp>> | undefined;
    const replies = await capture('bios', async () => {
      run = await runPerfdhcp({
        ns: pair.client.ns,
        dev: pair.client.dev,
        rate: 50,
        seconds: 1,
        options: [[60, hexOf('PXEClient:Arch:00000:UNDI:002001')], [93, '0000'], GUID_OPTION],
      });
    });
    expect(run?.rc, run?.output).toBe(0);
    expect(replies.length).toBe(run?.received);
    expect(replies.map((r) => [r.packet.file, r.packet.options.vendor])).toEqual(
      replies.map(() => ['undionly.kpxe', { kind: 'pxe', discoveryControl: 8 }]),
    );
  });

  it('answers a PXE REQUEST on 4011 with an ACK to the sender (EDK2 sends from port 4011)', async () => {
    const request = Buffer.from(rq.uefiRequest4011);
    request.set(pair.client.address.split('.').map(Number), 12); // ciaddr = the client's address
    const client = exchange(
      { address: pair.client.address, port: 4011 },
      { address: pair.server.address, port: 4011 },
      request,
    );
    const line = await waitForLine(client, 'REPLY ');
    const [from, hex] = line.split(' ') as [string, string];
    expect(from).toBe(`${pair.server.address}:4011`);
    const ack = decodeDhcp(Buffer.from(hex, 'hex'));
    if (!ack.ok) throw ack.error;
    expect(summary(ack.value)).toMatchObject({ messageType: 5, file: 'ipxe.efi', siaddr: pair.server.address });
    expect(ack.value.ciaddr).toBe(pair.client.address);
    await stopChild(client);
  });

  it('sends nothing to a plain (non-PXE) DHCP DISCOVER', async () => {
    let run: Awaited<ReturnType<typeof runPerfdhcp>> | undefined;
    const replies = await capture('plain', async () => {
      run = await runPerfdhcp({ ns: pair.client.ns, dev: pair.client.dev, rate: 20, seconds: 1, waitMs: 500 });
    });
    expect(run?.sent).toBeGreaterThan(0);
    expect([run?.rc, run?.received, replies.length]).toEqual([3, 0, 0]);
  });
});
