// dhcp-proxy as the service runs it (config → createDhcpProxy) against a real nats-server: a PXE client's 4011
// REQUEST gets its ACK, `machine.discovered` and the `machines` record appear under the canonical UUID, and the
// TFTP fetch that follows is published as `machine.boot.asset` for the same machine.
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBus, provision, type Bus } from '@metalbus/bus';
import { BUCKETS, decodeEvent, machineRecordSchema, type AnyEvent } from '@metalbus/events';
import type { ServiceHandle } from '@metalbus/runtime';
import { createLogger } from '@metalbus/telemetry';
import { freeUdpPort, startNats, waitFor, type NatsServer } from '@metalbus/testing';
import { dhcpProxyConfigSchema } from '../src/config.js';
import { decodeDhcp } from '../src/dhcp/codec.js';
import { createDhcpProxy } from '../src/service.js';
import * as rq from './fixtures/dhcp/requests.js';

const run = promisify(execFile);
let nats: NatsServer;
let bus: Bus;
let handle: ServiceHandle;
let client: Socket;
let ports: { pxe: number; tftp: number };
const events: AnyEvent[] = [];

beforeAll(async () => {
  nats = await startNats();
  ports = { pxe: await freeUdpPort(), tftp: await freeUdpPort() };
  const config = dhcpProxyConfigSchema.parse({
    ...nats.env,
    DHCP_MODE: '4011-only',
    DHCP_LISTEN_ADDRESS: '127.0.0.1',
    DHCP_PXE_PORT: String(ports.pxe),
    ADVERTISE_ADDRESS: '127.0.0.1',
    TFTP_ADDRESS: '127.0.0.1',
    TFTP_PORT: String(ports.tftp),
    TFTP_WORKERS: '0',
  });
  const logger = createLogger({ service: 'dhcp-proxy-test', level: 'silent' });
  bus = await connectBus(config, { name: 'dhcp-proxy-test', logger });
  await provision(bus);
  const sub = bus.nc.subscribe(bus.names.pattern('all'));
  void (async () => {
    for await (const m of sub) {
      const d = decodeEvent(bus.names.local(m.subject) ?? '', m.data);
      if (d.ok) events.push(d);
    }
  })();
  handle = await createDhcpProxy({ config, bus, logger, registry: new Registry() });
  await Promise.all((handle.views ?? []).map((v) => v.bootstrapped));
  client = createSocket('udp4');
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  client?.close();
  await handle?.stop();
  await bus?.drain();
  await nats?.stop();
});

describe('dhcp-proxy service', () => {
  it('answers, then publishes the discovery and records the machine under its UUID', async () => {
    // EDK2's BINL REQUEST as captured, sent from 127.0.0.1 (ciaddr rewritten to match).
    const request = Buffer.from(rq.uefiRequest4011);
    request.set([127, 0, 0, 1], 12);
    const reply = new Promise<Buffer>((resolve) => client.once('message', (msg) => resolve(msg)));
    client.send(request, ports.pxe, '127.0.0.1');
    const ack = decodeDhcp(await reply);
    expect(ack.ok).toBe(true);
    if (ack.ok) expect(ack.value.file).toBe('ipxe.efi');

    const discovered = await waitFor(() => events.find((e) => e.kind === 'discovered'));
    expect(discovered.event).toMatchObject({
      machineId: rq.UUID_A,
      uuid: rq.UUID_A,
      arch: 'amd64',
      firmware: 'uefi',
      messageType: 'request',
      port: 4011,
      bootFile: 'ipxe.efi',
      clientAddress: '127.0.0.1',
    });
    const record = await waitFor(async () => {
      const entry = await (await bus.kvm.open(bus.names.bucket(BUCKETS.machines))).get(rq.UUID_A);
      return entry?.operation === 'PUT' ? machineRecordSchema.parse(entry.json()) : null;
    });
    expect(record).toMatchObject({ machineId: rq.UUID_A, arch: 'amd64', firmware: 'uefi', lastAddress: '127.0.0.1' });
  });

  it('publishes the TFTP transfer of the iPXE binary for the machine that fetched it', async () => {
    const { stdout } = await run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{size_download}',
      `tftp://127.0.0.1:${ports.tftp}/ipxe.efi`,
    ]);
    const asset = await waitFor(() => events.find((e) => e.kind === 'boot.asset'));
    expect(asset.event).toMatchObject({
      machineId: rq.UUID_A,
      transport: 'tftp',
      path: 'ipxe.efi',
      kind: 'ipxe',
      bytes: Number(stdout),
      remoteAddress: '127.0.0.1',
    });
  });

  it('debounces repeated requests: one discovered event per MAC and message type per window', async () => {
    const request = Buffer.from(rq.uefiRequest4011);
    request.set([127, 0, 0, 1], 12);
    for (let i = 0; i < 3; i++) {
      const reply = new Promise<Buffer>((resolve) => client.once('message', (msg) => resolve(msg)));
      client.send(request, ports.pxe, '127.0.0.1');
      await reply;
    }
    await bus.nc.flush();
    expect(events.filter((e) => e.kind === 'discovered')).toHaveLength(1);
  });
});
