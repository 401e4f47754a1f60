// The TFTP server over real loopback UDP, driven by a small hand-written client so that ACKs can be withheld,
// repeated or sent mid-window. Whole packet sequences and whole callback payloads are compared.
import { createHash } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { OptionPair } from '../src/tftp/codec.js';
import { decodePacket, encodeAck, encodeError, encodeRequest } from '../src/tftp/codec.js';
import { createBootFiles } from '../src/tftp/files.js';
import type { TftpServer, TftpServerOptions, TransferCompleted, TransferFailed } from '../src/tftp/server.js';
import { createTftpServer } from '../src/tftp/server.js';

const SMALL = Buffer.from(Array.from({ length: 1300 }, (_, i) => i % 251)); // blocks of 512, 512, 276
const EXACT = Buffer.alloc(1024, 7); // two full blocks, then an empty one (RFC 1350 §6)
const TEXT = Buffer.from('line one\nline two\r\n');

type Received = { readonly msg: Buffer; readonly port: number };
type Client = {
  readonly port: number;
  send(buf: Buffer, port: number): void;
  next(): Promise<Received>;
  close(): void;
};

/** A UDP client that queues what it receives; next() fails the test (not a timing assertion) after 10 s. */
async function openClient(): Promise<Client> {
  const socket: Socket = createSocket('udp4');
  const queue: Received[] = [];
  const waiters: Array<(r: Received) => void> = [];
  socket.on('message', (msg, rinfo) => {
    const r = { msg, port: rinfo.port };
    const waiter = waiters.shift();
    if (waiter) waiter(r);
    else queue.push(r);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  clients.push(socket);
  return {
    port: socket.address().port,
    send: (buf, port) => socket.send(buf, port, '127.0.0.1'),
    next: () => {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no datagram within 10 s')), 10_000);
        waiters.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    },
    close: () => socket.close(),
  };
}

/** A readable form of a packet for whole-sequence comparisons. */
function show(msg: Buffer): string {
  const r = decodePacket(msg);
  if (!r.ok) return `malformed ${r.error.code}`;
  const p = r.value;
  switch (p.kind) {
    case 'data':
      return `DATA ${p.block} ${p.data.length}`;
    case 'ack':
      return `ACK ${p.block}`;
    case 'error':
      return `ERROR ${p.code} ${p.message}`;
    case 'oack':
      return `OACK ${[...p.options].map(([k, v]) => `${k}=${v}`).join(' ')}`;
    default:
      return p.kind;
  }
}

const clients: Socket[] = [];
const servers: TftpServer[] = [];

type Harness = {
  server: TftpServer;
  port: number;
  registry: Registry;
  completed: TransferCompleted[];
  failed: TransferFailed[];
};

async function startServer(over: Partial<TftpServerOptions> = {}): Promise<Harness> {
  const completed: TransferCompleted[] = [];
  const failed: TransferFailed[] = [];
  const registry = new Registry();
  const server = createTftpServer({
    address: '127.0.0.1',
    port: 0,
    files: createBootFiles([
      ['small.bin', SMALL],
      ['exact.bin', EXACT],
      ['text.txt', TEXT],
      ['arm64/ipxe.efi', SMALL],
    ]),
    maxTransfers: 10,
    timeoutMs: 5000,
    retries: 3,
    maxBlksize: 65464,
    maxWindowsize: 64,
    workers: 0,
    registry,
    logger: pino({ level: 'silent' }),
    onTransferComplete: (info) => void completed.push(info),
    onTransferFailed: (info) => void failed.push(info),
    ...over,
  });
  servers.push(server);
  const { port } = await server.start();
  return { server, port, registry, completed, failed };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  for (const c of clients.splice(0)) {
    try {
      c.close();
    } catch {
      // already closed by the test
    }
  }
});

/** ACKs each DATA as it comes until a short block; returns what was seen and the payload. */
async function fetchLockStep(client: Client, first: Received): Promise<{ seen: string[]; data: Buffer; tid: number }> {
  const seen: string[] = [];
  const parts: Buffer[] = [];
  let r = first;
  for (;;) {
    seen.push(show(r.msg));
    const p = decodePacket(r.msg);
    if (!p.ok || p.value.kind !== 'data') return { seen, data: Buffer.concat(parts), tid: r.port };
    parts.push(Buffer.from(p.value.data));
    client.send(encodeAck(p.value.block), r.port);
    if (p.value.data.length < 512) return { seen, data: Buffer.concat(parts), tid: r.port };
    r = await client.next();
  }
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const anyDuration = { durationMs: expect.any(Number) as number };

describe('TFTP server, in process', () => {
  it('serves a file lock-step from a new port (RFC 1350 TID) and reports the completed transfer', async () => {
    const h = await startServer();
    const client = await openClient();
    client.send(encodeRequest('rrq', 'small.bin', 'octet'), h.port);
    const first = await client.next();
    const { seen, data, tid } = await fetchLockStep(client, first);
    expect(seen).toEqual(['DATA 1 512', 'DATA 2 512', 'DATA 3 276']);
    expect(tid).not.toBe(h.port);
    expect(data).toEqual(SMALL);
    await until(() => h.completed.length === 1);
    expect(h.completed).toEqual([
      {
        file: 'small.bin',
        bytes: 1300,
        peer: { address: '127.0.0.1', port: client.port },
        blksize: 512,
        windowsize: 1,
        retransmits: 0,
        ...anyDuration,
      },
    ]);
    expect(h.server.activeTransfers()).toBe(0);
  });

  it('ends a file of whole blocks with an empty DATA, and serves subfolder names with a leading slash', async () => {
    const h = await startServer();
    const a = await openClient();
    a.send(encodeRequest('rrq', 'exact.bin', 'octet'), h.port);
    expect((await fetchLockStep(a, await a.next())).seen).toEqual(['DATA 1 512', 'DATA 2 512', 'DATA 3 0']);
    const b = await openClient();
    b.send(encodeRequest('rrq', '/arm64/ipxe.efi', 'octet'), h.port);
    expect((await fetchLockStep(b, await b.next())).data).toEqual(SMALL);
  });

  it('retransmits a block whose ACK was lost, then carries on', async () => {
    const h = await startServer({ timeoutMs: 200 });
    const client = await openClient();
    client.send(encodeRequest('rrq', 'small.bin', 'octet'), h.port);
    const first = await client.next();
    const again = await client.next(); // no ACK for block 1: the server's timer resends it
    const { seen } = await fetchLockStep(client, again);
    expect([show(first.msg), ...seen]).toEqual(['DATA 1 512', 'DATA 1 512', 'DATA 2 512', 'DATA 3 276']);
    await until(() => h.completed.length === 1);
    expect(h.completed[0]?.retransmits).toBe(1);
  });

  it("ignores a duplicate ACK instead of resending (no Sorcerer's Apprentice)", async () => {
    const h = await startServer();
    const client = await openClient();
    client.send(encodeRequest('rrq', 'small.bin', 'octet'), h.port);
    const d1 = await client.next();
    client.send(encodeAck(1), d1.port);
    client.send(encodeAck(1), d1.port);
    const d2 = await client.next();
    client.send(encodeAck(2), d2.port);
    const d3 = await client.next(); // a resent block 2 would have arrived before block 3
    client.send(encodeAck(3), d3.port);
    expect([d1, d2, d3].map((r) => show(r.msg))).toEqual(['DATA 1 512', 'DATA 2 512', 'DATA 3 276']);
    await until(() => h.completed.length === 1);
    expect(await counter(h.registry, 'metalbus_dhcp_proxy_tftp_dropped_packets_total')).toEqual({
      'duplicate-ack': 1,
    });
  });

  it('negotiates options with an OACK and sends windows (RFC 2347/2348/2349/7440)', async () => {
    const h = await startServer({ maxWindowsize: 4 });
    const client = await openClient();
    const options: OptionPair[] = [
      ['blksize', '256'],
      ['tsize', '0'],
      ['windowsize', '8'],
      ['timeout', '2'],
      ['multicast', ''],
    ];
    client.send(encodeRequest('rrq', 'small.bin', 'octet', options), h.port);
    const oack = await client.next();
    expect(show(oack.msg)).toBe('OACK blksize=256 tsize=1300 windowsize=4 timeout=2');
    const seen: string[] = [];
    client.send(encodeAck(0), oack.port);
    for (let i = 0; i < 4; i++) seen.push(show((await client.next()).msg));
    client.send(encodeAck(4), oack.port);
    for (let i = 0; i < 2; i++) seen.push(show((await client.next()).msg));
    client.send(encodeAck(6), oack.port);
    expect(seen).toEqual(['DATA 1 256', 'DATA 2 256', 'DATA 3 256', 'DATA 4 256', 'DATA 5 256', 'DATA 6 20']);
    await until(() => h.completed.length === 1);
    expect(h.completed[0]).toEqual({
      file: 'small.bin',
      bytes: 1300,
      peer: { address: '127.0.0.1', port: client.port },
      blksize: 256,
      windowsize: 4,
      retransmits: 0,
      ...anyDuration,
    });
  });

  it('restarts the window after a partial ACK (RFC 7440 §4)', async () => {
    const h = await startServer();
    const client = await openClient();
    client.send(
      encodeRequest('rrq', 'small.bin', 'octet', [
        ['blksize', '128'],
        ['windowsize', '4'],
      ]),
      h.port,
    );
    const oack = await client.next();
    client.send(encodeAck(0), oack.port);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(show((await client.next()).msg));
    client.send(encodeAck(2), oack.port); // blocks 3 and 4 "lost"
    for (let i = 0; i < 4; i++) seen.push(show((await client.next()).msg));
    client.send(encodeAck(6), oack.port);
    for (let i = 0; i < 4; i++) seen.push(show((await client.next()).msg));
    client.send(encodeAck(10), oack.port);
    seen.push(show((await client.next()).msg));
    client.send(encodeAck(11), oack.port);
    expect(seen).toEqual([
      ...[1, 2, 3, 4].map((n) => `DATA ${n} 128`),
      ...[3, 4, 5, 6].map((n) => `DATA ${n} 128`),
      ...[7, 8, 9, 10].map((n) => `DATA ${n} 128`),
      'DATA 11 20',
    ]);
    await until(() => h.completed.length === 1);
    expect(h.completed[0]?.retransmits).toBe(2);
  });

  it('serves netascii with CR LF line ends', async () => {
    const h = await startServer();
    const client = await openClient();
    client.send(encodeRequest('rrq', 'text.txt', 'NetASCII', [['tsize', '0']]), h.port);
    const oack = await client.next();
    expect(show(oack.msg)).toBe('OACK tsize=22');
    client.send(encodeAck(0), oack.port);
    const { data } = await fetchLockStep(client, await client.next());
    expect(data.toString('latin1')).toBe('line one\r\nline two\r\0\r\n');
  });

  it('answers refused requests with ERROR packets from port 69 and reports them', async () => {
    const h = await startServer();
    const client = await openClient();
    const requests = [
      encodeRequest('wrq', 'small.bin', 'octet'),
      encodeRequest('rrq', 'missing.efi', 'octet'),
      encodeRequest('rrq', '../small.bin', 'octet'),
      encodeRequest('rrq', 'small.bin', 'octet', [['blksize', '70000']]),
      Buffer.from([0, 1, 0x61, 0x62]),
      encodeRequest('rrq', 'small.bin', 'mail'),
    ];
    const answers: string[] = [];
    for (const request of requests) {
      client.send(request, h.port);
      const r = await client.next();
      answers.push(`${r.port === h.port ? 'from 69' : 'from elsewhere'}: ${show(r.msg)}`);
    }
    expect(answers).toEqual([
      'from 69: ERROR 2 read-only server: write requests are refused',
      'from 69: ERROR 1 file not found',
      'from 69: ERROR 2 access violation: path not allowed',
      'from 69: ERROR 8 option negotiation failed: option blksize must be a decimal number in 8..65464',
      'from 69: ERROR 4 malformed request: filename is not NUL-terminated',
      'from 69: ERROR 4 mail mode is not supported',
    ]);
    const peer = { address: '127.0.0.1', port: client.port };
    const refusal = { peer, durationMs: 0, bytes: 0, retransmits: 0 };
    expect(h.failed).toEqual([
      {
        ...refusal,
        file: 'small.bin',
        reason: 'write-refused',
        errorCode: 2,
        message: 'read-only server: write requests are refused',
      },
      { ...refusal, file: 'missing.efi', reason: 'not-found', errorCode: 1, message: 'file not found' },
      {
        ...refusal,
        file: '../small.bin',
        reason: 'access-violation',
        errorCode: 2,
        message: 'access violation: path not allowed',
      },
      {
        ...refusal,
        file: '',
        reason: 'bad-option',
        errorCode: 8,
        message: 'option negotiation failed: option blksize must be a decimal number in 8..65464',
      },
      {
        ...refusal,
        file: '',
        reason: 'bad-request',
        errorCode: 4,
        message: 'malformed request: filename is not NUL-terminated',
      },
      {
        ...refusal,
        file: 'small.bin',
        reason: 'unsupported-mode',
        errorCode: 4,
        message: 'mail mode is not supported',
      },
    ]);
    expect(await counter(h.registry, 'metalbus_dhcp_proxy_tftp_errors_sent_total')).toEqual({ 1: 1, 2: 2, 4: 2, 8: 1 });
  });

  it('refuses transfers beyond the limit with ERROR 0, and stop() ends the running ones with ERROR 0', async () => {
    const h = await startServer({ maxTransfers: 2 });
    const held = [await openClient(), await openClient()];
    for (const c of held) c.send(encodeRequest('rrq', 'small.bin', 'octet'), h.port);
    const firsts = await Promise.all(held.map((c) => c.next())); // DATA 1 each, never acknowledged
    const extra = await openClient();
    extra.send(encodeRequest('rrq', 'small.bin', 'octet'), h.port);
    expect(show((await extra.next()).msg)).toBe('ERROR 0 server busy: 2 transfers in progress, retry later');
    expect(h.server.activeTransfers()).toBe(2);

    await h.server.stop();
    const lasts = await Promise.all(held.map((c) => c.next()));
    expect([...firsts, ...lasts].map((r) => show(r.msg))).toEqual([
      'DATA 1 512',
      'DATA 1 512',
      'ERROR 0 server shutting down',
      'ERROR 0 server shutting down',
    ]);
    expect(h.failed.map((f) => `${f.reason} ${f.message}`).sort()).toEqual([
      'busy server busy: 2 transfers in progress, retry later',
      'stopped server shutting down',
      'stopped server shutting down',
    ]);
    expect(h.server.activeTransfers()).toBe(0);
  });

  it('gives up after the retries with ERROR 0 and reports a timeout', async () => {
    const h = await startServer({ timeoutMs: 50, retries: 1 });
    const client = await openClient();
    client.send(encodeRequest('rrq', 'small.bin', 'octet'), h.port);
    const seen = [await client.next(), await client.next(), await client.next()].map((r) => show(r.msg));
    expect(seen).toEqual(['DATA 1 512', 'DATA 1 512', 'ERROR 0 no acknowledgement after 1 retransmissions']);
    await until(() => h.failed.length === 1);
    expect(h.failed).toEqual([
      {
        file: 'small.bin',
        peer: { address: '127.0.0.1', port: client.port },
        reason: 'timeout',
        message: 'no acknowledgement after 1 retransmissions',
        errorCode: 0,
        bytes: 1024,
        blksize: 512,
        windowsize: 1,
        retransmits: 1,
        ...anyDuration,
      },
    ]);
  });

  it('a client that never acknowledges the OACK gets OACKs only, at our timeout when it asked for more than the cap', async () => {
    // A spoofed request looks exactly like this: the real owner of the address never answers.
    const h = await startServer({ timeoutMs: 100, retries: 2, maxClientTimeoutS: 5 });
    const client = await openClient();
    const options: OptionPair[] = [
      ['blksize', '512'],
      ['windowsize', '4'],
      ['timeout', '255'],
    ];
    client.send(encodeRequest('rrq', 'small.bin', 'octet', options), h.port);
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(show((await client.next()).msg));
    expect(seen).toEqual([
      'OACK blksize=512 windowsize=4', // timeout=255 declined (RFC 2349 allows no smaller echo)
      'OACK blksize=512 windowsize=4',
      'OACK blksize=512 windowsize=4',
      'ERROR 0 no acknowledgement after 2 retransmissions',
    ]);
    await until(() => h.failed.length === 1);
    expect(h.failed[0]).toEqual({
      file: 'small.bin',
      peer: { address: '127.0.0.1', port: client.port },
      reason: 'timeout',
      message: 'no acknowledgement after 2 retransmissions',
      errorCode: 0,
      bytes: 0,
      blksize: 512,
      windowsize: 4,
      retransmits: 2,
      ...anyDuration,
    });
  });

  it('after an ACK 0 with no DATA ACK, one window goes out and then block 1 alone is resent', async () => {
    const h = await startServer({ timeoutMs: 100, retries: 2 });
    const client = await openClient();
    client.send(
      encodeRequest('rrq', 'small.bin', 'octet', [
        ['blksize', '8'],
        ['windowsize', '4'],
      ]),
      h.port,
    );
    const oack = await client.next();
    client.send(encodeAck(0), oack.port);
    const seen: string[] = [show(oack.msg)];
    for (let i = 0; i < 7; i++) seen.push(show((await client.next()).msg));
    expect(seen).toEqual([
      'OACK blksize=8 windowsize=4',
      'DATA 1 8',
      'DATA 2 8',
      'DATA 3 8',
      'DATA 4 8',
      'DATA 1 8',
      'DATA 1 8',
      'ERROR 0 no acknowledgement after 2 retransmissions',
    ]);
    await until(() => h.failed.length === 1);
    expect([h.failed[0]?.bytes, h.failed[0]?.retransmits]).toEqual([6 * 8, 2]);
  });

  it('ends the transfer when the client sends ERROR, or when the client is gone (ICMP unreachable)', async () => {
    const h = await startServer({ timeoutMs: 100 });
    const quitter = await openClient();
    quitter.send(encodeRequest('rrq', 'small.bin', 'octet'), h.port);
    const d1 = await quitter.next();
    quitter.send(encodeError(0, 'user cancelled'), d1.port);
    const vanisher = await openClient();
    vanisher.send(encodeRequest('rrq', 'small.bin', 'octet'), h.port);
    await vanisher.next();
    vanisher.close(); // the retransmission meets a closed port
    await until(() => h.failed.length === 2);
    expect(h.failed.map((f) => [f.reason, f.message, f.errorCode])).toEqual([
      ['peer-error', 'user cancelled', 0],
      ['peer-unreachable', expect.stringContaining('ECONNREFUSED') as string, undefined],
    ]);
  });

  it('drops a retransmitted request instead of starting a second transfer for the same client port', async () => {
    const h = await startServer();
    const client = await openClient();
    client.send(encodeRequest('rrq', 'small.bin', 'octet'), h.port);
    const d1 = await client.next();
    client.send(encodeRequest('rrq', 'small.bin', 'octet'), h.port);
    const { seen } = await fetchLockStep(client, d1);
    expect(seen).toEqual(['DATA 1 512', 'DATA 2 512', 'DATA 3 276']);
    await until(() => h.completed.length === 1);
    expect(await counter(h.registry, 'metalbus_dhcp_proxy_tftp_dropped_packets_total')).toEqual({
      'duplicate-request': 1,
    });
  });

  it('keeps serving when callbacks throw or reject', async () => {
    const h = await startServer({
      onTransferComplete: () => {
        throw new Error('callback bug');
      },
      onTransferFailed: () => Promise.reject(new Error('async callback bug')),
    });
    for (const name of ['small.bin', 'missing.bin', 'exact.bin']) {
      const client = await openClient();
      client.send(encodeRequest('rrq', name, 'octet'), h.port);
      const first = await client.next();
      expect(show(first.msg)).toMatch(name === 'missing.bin' ? /^ERROR 1/ : /^DATA 1/);
      if (name !== 'missing.bin') await fetchLockStep(client, first);
    }
    await until(() => h.server.activeTransfers() === 0);
    expect(await counter(h.registry, 'metalbus_dhcp_proxy_tftp_transfers_total')).toEqual({
      completed: 2,
      rejected: 1,
    });
  });

  it('rolls block numbers over past 65535: a 33.5 MB file at blksize 512, windowsize 64', async () => {
    const size = 512 * 65_540 + 99; // 65,541 blocks
    const big = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) big.writeUInt32BE(i, i);
    const h = await startServer({
      files: createBootFiles([['big.bin', big]]),
    });
    const client = await openClient();
    client.send(encodeRequest('rrq', 'big.bin', 'octet', [['windowsize', '64']]), h.port);
    const oack = await client.next();
    client.send(encodeAck(0), oack.port);
    const hash = createHash('sha256');
    const wrapped: number[] = [];
    let expected = 1; // absolute block number
    for (;;) {
      const r = await client.next();
      const p = decodePacket(r.msg);
      if (!p.ok || p.value.kind !== 'data') throw new Error(`unexpected ${show(r.msg)}`);
      expect(p.value.block).toBe(expected & 0xffff);
      if (expected >= 65_534 && expected <= 65_538) wrapped.push(p.value.block);
      hash.update(p.value.data);
      const last = p.value.data.length < 512;
      if (last || expected % 64 === 0) client.send(encodeAck(p.value.block), r.port);
      if (last) break;
      expected++;
    }
    expect({ blocks: expected, wrapped, sha: hash.digest('hex') }).toEqual({
      blocks: 65_541,
      wrapped: [65_534, 65_535, 0, 1, 2],
      sha: sha(big),
    });
    await until(() => h.completed.length === 1);
    expect(h.completed[0]?.retransmits).toBe(0);
  });

  it('runs transfers in worker threads (TFTP_WORKERS > 0) with the same results', async () => {
    const h = await startServer({ workers: 2 });
    const results = await Promise.all(
      ['small.bin', 'exact.bin', 'arm64/ipxe.efi'].map(async (name) => {
        const client = await openClient();
        client.send(encodeRequest('rrq', name, 'octet'), h.port);
        return sha((await fetchLockStep(client, await client.next())).data);
      }),
    );
    expect(results).toEqual([sha(SMALL), sha(EXACT), sha(SMALL)]);
    await until(() => h.completed.length === 3);
    expect(h.completed.map((c) => c.file).sort()).toEqual(['arm64/ipxe.efi', 'exact.bin', 'small.bin']);
  });
});

/** Waits for a condition the server reaches asynchronously (callbacks run after the last ACK is processed). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition not reached within 10 s');
}

/** A counter's values by its single label. */
async function counter(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries((metric?.values ?? []).map((v) => [Object.values(v.labels)[0] ?? '', v.value]));
}
