// The socket loop over real UDP on loopback (no root): relayed DISCOVER → OFFER to giaddr, 4011 REQUEST → ACK to
// the sender, callbacks that fail, malformed datagrams, metrics. Broadcast paths are in dhcp.int.test.ts.

import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDhcp } from '../src/dhcp/codec.js';
import type { ObservedFact, ServedFact } from '../src/dhcp/facts.js';
import { createDhcpServer } from '../src/dhcp/server.js';
import type { DhcpServer } from '../src/dhcp/server.js';
import * as rq from './fixtures/dhcp/requests.js';

async function udp(address: string, port = 0): Promise<Socket> {
  const s = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind({ address, port }, () => resolve());
  });
  return s;
}

async function freePort(): Promise<number> {
  const s = await udp('127.0.0.1');
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function next(socket: Socket, timeoutMs = 2000): Promise<{ msg: Buffer; from: string; port: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no reply')), timeoutMs);
    socket.once('message', (msg, rinfo) => {
      clearTimeout(timer);
      resolve({ msg, from: rinfo.address, port: rinfo.port });
    });
  });
}

const send = (socket: Socket, bytes: Buffer, port: number) =>
  new Promise<void>((resolve, reject) =>
    socket.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
  );

/** The fixture with giaddr = 127.0.0.1 (RFC 2131 §4.1: replies then go to the relay on the server port). */
function viaLoopbackRelay(request: Buffer): Buffer {
  const copy = Buffer.from(request);
  copy.set([127, 0, 0, 1], 24);
  return copy;
}

describe('ProxyDHCP server on loopback', () => {
  const registry = new Registry();
  const served: ServedFact[] = [];
  const observed: ObservedFact[] = [];
  let server: DhcpServer;
  let relay: Socket;
  let client: Socket;
  let ports: { dhcp: number; pxe: number; relay: number };
  let throwOnce = true;

  beforeAll(async () => {
    ports = { dhcp: await freePort(), pxe: await freePort(), relay: await freePort() };
    relay = await udp('127.0.0.1', ports.relay);
    client = await udp('127.0.0.1');
    server = createDhcpServer({
      mode: 'both',
      interfaceName: null,
      advertiseAddress: '127.0.0.1',
      ports: { dhcp: ports.dhcp, pxe: ports.pxe },
      replyPorts: { client: 68, relay: ports.relay },
      httpPort: 8080,
      bootFiles: { bios: 'undionly.kpxe', 'uefi-x64': 'ipxe.efi', arm64: 'ipxe-arm64.efi' },
      overrides: new Map(),
      logger: pino({ level: 'silent' }),
      registry,
      onServed: (fact) => {
        served.push(fact);
        if (throwOnce) {
          throwOnce = false;
          throw new Error('NATS is down');
        }
        return Promise.reject(new Error('publish failed'));
      },
      onObserved: (fact) => void observed.push(fact),
    });
    const started = await server.start();
    expect(started.addresses).toEqual([
      { address: '0.0.0.0', port: ports.dhcp },
      { address: '127.0.0.1', port: ports.dhcp },
      { address: '0.0.0.0', port: ports.pxe },
    ]);
  });

  afterAll(async () => {
    await server?.stop();
    relay?.close();
    client?.close();
  });

  it('answers a relayed DISCOVER with an OFFER to giaddr on the relay port, even when onServed throws', async () => {
    const reply = next(relay);
    await send(relay, viaLoopbackRelay(rq.biosDiscover), ports.dhcp);
    const { msg, from, port } = await reply;
    expect([from, port]).toEqual(['127.0.0.1', ports.dhcp]);
    const decoded = decodeDhcp(msg);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value).toMatchObject({
      op: 2,
      xid: 0xb105,
      siaddr: '127.0.0.1',
      giaddr: '127.0.0.1',
      file: 'undionly.kpxe',
      options: { messageType: 2, serverId: '127.0.0.1', bootFile: 'undionly.kpxe' },
    });
    expect(served.at(-1)).toMatchObject({ mac: '00:0c:29:aa:bb:01', relay: '127.0.0.1', port: 67 });
  });

  it('answers a 4011 REQUEST with an ACK to the sender, even when onServed rejects', async () => {
    const reply = next(client);
    await send(client, rq.uefiRequest4011, ports.pxe);
    const { msg, from, port } = await reply;
    expect([from, port]).toEqual(['127.0.0.1', ports.pxe]);
    const decoded = decodeDhcp(msg);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value).toMatchObject({ xid: 0xa272af55, file: 'ipxe.efi', options: { messageType: 5 } });
    expect(served.at(-1)).toMatchObject({ port: 4011, messageType: 'request', clientAddress: '10.77.0.161' });
  });

  it('counts malformed and dropped datagrams, reports observed leases, and keeps serving', async () => {
    await send(client, Buffer.from('not dhcp at all'), ports.dhcp);
    await send(client, rq.plainDiscover, ports.dhcp);
    await send(client, rq.ipxeRequestForSiteServer, ports.dhcp);
    const reply = next(relay);
    await send(relay, viaLoopbackRelay(rq.uefiDiscover), ports.dhcp);
    await reply; // datagrams from one socket are handled in order: the earlier ones are done

    expect(observed).toEqual([
      {
        mac: '52:54:00:12:34:57',
        uuid: rq.UUID_A,
        machineId: rq.UUID_A,
        clientAddress: '10.77.0.158',
        serverId: '10.77.0.2',
        vendorClass: 'PXEClient:Arch:00000:UNDI:002001',
        relay: null,
        interface: 'lo',
      },
    ]);
    const text = await registry.metrics();
    const line = (re: RegExp) => text.split('\n').find((l) => re.test(l));
    expect(line(/decode_errors_total\{code="truncated-header"\}/)).toMatch(/ 1$/);
    expect(line(/drops_total\{reason="not-netboot"\}/)).toMatch(/ 1$/);
    expect(line(/drops_total\{reason="other-server"\}/)).toMatch(/ 1$/);
    expect(line(/callback_errors_total\{callback="onServed"\}/)).toMatch(/ 3$/);
    expect(line(/replies_total\{reply="offer",arch="amd64",firmware="bios",port="67"\}/)).toMatch(/ 1$/);
    expect(line(/replies_total\{reply="ack",arch="amd64",firmware="uefi",port="4011"\}/)).toMatch(/ 1$/);
    expect(line(/reply_duration_seconds_count/)).toMatch(/ 3$/);
  });

  it('binds nothing when the mode is off', async () => {
    const off = createDhcpServer({
      mode: 'off',
      interfaceName: null,
      advertiseAddress: null,
      ports: { dhcp: 1, pxe: 1 },
      httpPort: 8080,
      bootFiles: { bios: 'a', 'uefi-x64': 'b', arm64: 'c' },
      overrides: new Map(),
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
    });
    expect(await off.start()).toEqual({ addresses: [], serverAddress: null, interfaceName: null });
    await off.stop();
  });
});
