// Read-only TFTP server for the first-stage iPXE binaries (ARCHITECTURE.md, dhcp-proxy). The listening socket
// only admits requests (admit.ts); each accepted transfer runs on its own socket (session.ts). Callbacks report
// the outcome; they are never awaited and cannot break the socket loop.
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RejectReason } from './admit.js';
import { admitRequest } from './admit.js';
import { encodeError } from './codec.js';
import { TftpError } from './errors.js';
import type { BootFiles } from './files.js';
import { createTftpMetrics } from './metrics.js';
import { negotiate } from './negotiate.js';
import { toNetascii } from './netascii.js';
import { createLocalRunner } from './runner.js';
import type { Peer, SessionDropReason, SessionOutcome, SessionSummary } from './session.js';
import { createWorkerRunner } from './workers.js';

export type TransferCompleted = {
  readonly file: string;
  readonly bytes: number;
  readonly peer: Peer;
  readonly durationMs: number;
  readonly blksize: number;
  readonly windowsize: number;
  readonly retransmits: number;
};

export type FailureReason = RejectReason | Exclude<SessionOutcome, 'completed'>;

export type TransferFailed = {
  /** The served name, or for a refused request the name as requested (truncated). */
  readonly file: string;
  readonly peer: Peer;
  readonly reason: FailureReason;
  readonly message: string;
  /** TFTP error code sent (or received, for 'peer-error'), when there was one. */
  readonly errorCode?: number;
  readonly durationMs: number;
  /** DATA payload bytes sent before the failure, retransmissions included. */
  readonly bytes: number;
  readonly blksize?: number;
  readonly windowsize?: number;
  readonly retransmits: number;
};

export type TftpServerOptions = {
  readonly address: string;
  readonly port: number;
  readonly files: BootFiles;
  readonly maxTransfers: number;
  readonly timeoutMs: number;
  /** Largest RFC 2349 `timeout` a client may ask for, in seconds (TFTP_MAX_CLIENT_TIMEOUT_S); default 5. */
  readonly maxClientTimeoutS?: number;
  readonly retries: number;
  readonly maxBlksize: number;
  readonly maxWindowsize: number;
  /** Worker threads that run transfers; 0 runs them on the calling thread. */
  readonly workers: number;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly onTransferComplete?: (info: TransferCompleted) => unknown;
  readonly onTransferFailed?: (info: TransferFailed) => unknown;
};

export type TftpServer = {
  /** Binds the listening socket; resolves with the bound address (useful with port 0). */
  start(): Promise<AddressInfo>;
  /** Closes the listener and every transfer socket (peers get ERROR 0). */
  stop(): Promise<void>;
  activeTransfers(): number;
};

const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '::']);
const DEFAULT_MAX_CLIENT_TIMEOUT_S = 5;
const SESSION_DROP_REASONS: readonly SessionDropReason[] = [
  'malformed',
  'unexpected-opcode',
  'duplicate-ack',
  'stale-ack',
];

export function createTftpServer(options: TftpServerOptions): TftpServer {
  const { logger } = options;
  const metrics = createTftpMetrics(options.registry);
  const type = isIPv6(options.address) ? 'udp6' : 'udp4';
  const bindAddress = WILDCARDS.has(options.address) ? undefined : options.address;
  const limits = {
    maxBlksize: options.maxBlksize,
    maxWindowsize: options.maxWindowsize,
    defaultTimeoutMs: options.timeoutMs,
    maxClientTimeoutS: options.maxClientTimeoutS ?? DEFAULT_MAX_CLIENT_TIMEOUT_S,
  };
  /** Running transfers by id, and their peers' "address|port" for duplicate requests (RFC 1350 §4 TIDs). */
  const transfers = new Map<number, { key: string; file: string; peer: Peer }>();
  const active = new Set<string>();
  let nextId = 1;
  const netascii = new WeakMap<Buffer, Buffer>();
  let listener: Socket | undefined;

  const notify = <T>(callback: ((info: T) => unknown) | undefined, info: T): void => {
    if (callback === undefined) return;
    try {
      const result = callback(info);
      if (result instanceof Promise) result.catch((err: unknown) => logger.warn({ err }, 'tftp callback failed'));
    } catch (err) {
      logger.warn({ err }, 'tftp callback threw');
    }
  };

  const dataFor = (data: Buffer, mode: 'octet' | 'netascii'): Buffer => {
    if (mode === 'octet') return data;
    let converted = netascii.get(data);
    if (converted === undefined) netascii.set(data, (converted = toNetascii(data)));
    return converted;
  };

  const onRequest = (msg: Buffer, peer: Peer): void => {
    const key = `${peer.address}|${peer.port}`;
    const admission = admitRequest(msg, {
      files: options.files,
      activeTransfers: transfers.size,
      maxTransfers: options.maxTransfers,
      duplicate: active.has(key),
      sourcePort: peer.port,
    });
    if (admission.action === 'drop') {
      metrics.dropped(admission.reason);
      logger.debug({ peer, reason: admission.reason }, 'tftp datagram dropped');
      return;
    }
    if (admission.action === 'reject') {
      // Sent from port 69: a refused request never gets a transfer socket (cheap under a flood of requests).
      listener?.send(encodeError(admission.code, admission.message), peer.port, peer.address);
      metrics.errorSent(admission.code);
      metrics.transferEnded('rejected', 0, 0, 0);
      const level = admission.reason === 'busy' ? 'warn' : 'info';
      logger[level]({ peer, file: admission.filename, reason: admission.reason }, 'tftp request refused');
      notify(options.onTransferFailed, {
        file: admission.filename,
        peer,
        reason: admission.reason,
        message: admission.message,
        errorCode: admission.code,
        durationMs: 0,
        bytes: 0,
        retransmits: 0,
      });
      return;
    }
    const data = dataFor(admission.file.data, admission.mode);
    const id = nextId++;
    transfers.set(id, { key, file: admission.file.name, peer });
    active.add(key);
    metrics.setActive(transfers.size);
    runner.run({
      id,
      type,
      bindAddress,
      peer,
      data,
      negotiated: negotiate(admission.options, data.length, limits),
      maxRetries: options.retries,
    });
  };

  const onEnded = (id: number, summary: SessionSummary): void => {
    const transfer = transfers.get(id);
    if (transfer === undefined) return;
    transfers.delete(id);
    active.delete(transfer.key);
    metrics.setActive(transfers.size);
    metrics.transferEnded(summary.outcome, summary.sentBytes, summary.retransmits, summary.durationMs);
    for (const reason of SESSION_DROP_REASONS)
      if (summary.drops[reason] > 0) metrics.dropped(reason, summary.drops[reason]);
    if (summary.errorSent && summary.errorCode !== undefined) metrics.errorSent(summary.errorCode);
    const { file, peer } = transfer;
    const common = {
      file,
      peer,
      durationMs: summary.durationMs,
      blksize: summary.blksize,
      windowsize: summary.windowsize,
    };
    if (summary.outcome === 'completed') {
      const info = { ...common, bytes: summary.size, retransmits: summary.retransmits };
      logger.debug(info, 'tftp transfer complete');
      notify(options.onTransferComplete, info);
      return;
    }
    const failed: TransferFailed = {
      ...common,
      reason: summary.outcome,
      message: summary.message,
      bytes: summary.sentBytes,
      retransmits: summary.retransmits,
    };
    logger.info(failed, 'tftp transfer failed');
    notify(
      options.onTransferFailed,
      summary.errorCode === undefined ? failed : { ...failed, errorCode: summary.errorCode },
    );
  };

  const runner =
    options.workers > 0 ? createWorkerRunner(options.workers, onEnded, logger) : createLocalRunner(onEnded);

  return {
    async start() {
      if (listener !== undefined) throw new TftpError('TFTP_ALREADY_STARTED', 'the TFTP server is already started');
      const socket = createSocket({ type });
      listener = socket;
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(options.port, options.address, () => {
            socket.off('error', reject);
            resolve();
          });
        });
      } catch (cause) {
        listener = undefined;
        throw new TftpError('TFTP_BIND_FAILED', `TFTP cannot listen on ${options.address}:${options.port}`, { cause });
      }
      try {
        await runner.start();
      } catch (err) {
        listener = undefined;
        await new Promise<void>((resolve) => socket.close(() => resolve()));
        throw err;
      }
      socket.on('error', (err) => logger.error({ err }, 'tftp listener error'));
      socket.on('message', (msg, rinfo) => {
        try {
          onRequest(msg, { address: rinfo.address, port: rinfo.port });
        } catch (err) {
          // Last line of defence: no datagram may take the listener down.
          metrics.dropped('internal-error');
          logger.error({ err, peer: { address: rinfo.address, port: rinfo.port } }, 'tftp request handling failed');
        }
      });
      const bound = socket.address();
      logger.info({ ...bound, files: options.files.names().length, workers: options.workers }, 'tftp listening');
      return bound;
    },
    async stop() {
      const socket = listener;
      listener = undefined;
      if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
      await runner.stop();
    },
    activeTransfers: () => transfers.size,
  };
}
