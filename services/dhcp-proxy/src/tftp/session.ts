// The I/O of one transfer: its own UDP socket (RFC 1350 §4: a new transfer ID per transfer), connected to the
// client so the kernel drops datagrams from any other address or port (instead of this code answering them
// with ERROR 5), a retransmission timer, and the packets transfer.ts decides on. Runs on the main thread or in
// a worker (runner.ts); it reports one summary when it ends.
import type { SocketType } from 'node:dgram';
import { createSocket } from 'node:dgram';
import { decodePacket, encodeError, encodeOack, ERROR_CODE, writeDataHeader } from './codec.js';
import type { Negotiated } from './negotiate.js';
import type { AckDecision, StartDecision, TimeoutDecision } from './transfer.js';
import { abort, blockEnd, blockStart, createTransfer, onAck, onTimeout, start } from './transfer.js';

export type Peer = { readonly address: string; readonly port: number };

export type TransferJob = {
  readonly id: number;
  readonly type: SocketType;
  /** Local address for the transfer socket; undefined when the listener is on the wildcard address. */
  readonly bindAddress: string | undefined;
  readonly peer: Peer;
  readonly data: Buffer;
  readonly negotiated: Negotiated;
  readonly maxRetries: number;
};

export type SessionOutcome = 'completed' | 'timeout' | 'peer-error' | 'peer-unreachable' | 'socket-error' | 'stopped';

/** Datagrams on a transfer's socket that get no answer. */
export type SessionDropReason = 'malformed' | 'unexpected-opcode' | 'duplicate-ack' | 'stale-ack';

export type SessionSummary = {
  readonly outcome: SessionOutcome;
  /** Why it failed ('' when completed): our reason, or the peer's ERROR message. */
  readonly message: string;
  /** The TFTP error code sent (timeout, stopped) or received (peer-error). */
  readonly errorCode?: number;
  readonly errorSent: boolean;
  readonly size: number;
  readonly blksize: number;
  readonly windowsize: number;
  readonly sentBytes: number;
  readonly retransmits: number;
  readonly durationMs: number;
  readonly drops: Readonly<Record<SessionDropReason, number>>;
};

export type Session = {
  /** Ends the transfer with ERROR 0 to the peer; resolves once the socket is closed. */
  stop(): Promise<void>;
};

type Failure = { outcome: Exclude<SessionOutcome, 'completed'>; message: string; errorCode?: number; send: boolean };

export function startSession(job: TransferJob, onEnd: (summary: SessionSummary) => void): Session {
  const { data, negotiated } = job;
  const startedAt = performance.now();
  const state = createTransfer({
    size: data.length,
    blksize: negotiated.blksize,
    windowsize: negotiated.windowsize,
    maxRetries: job.maxRetries,
    withOack: negotiated.oack.length > 0,
  });
  const oackPacket = state.phase === 'oack' ? encodeOack(negotiated.oack) : undefined;
  // One DATA header per window slot: block n uses slot n % windowsize, so a header is rewritten only after every
  // block sharing its slot was acknowledged (or carries the same number), even if the kernel queued the send.
  const slab = Buffer.alloc(4 * negotiated.windowsize);
  const headers: Buffer[] = [];
  for (let i = 0; i < negotiated.windowsize; i++) headers.push(slab.subarray(i * 4, i * 4 + 4));
  const drops: Record<SessionDropReason, number> = {
    malformed: 0,
    'unexpected-opcode': 0,
    'duplicate-ack': 0,
    'stale-ack': 0,
  };

  const socket = createSocket({ type: job.type });
  let timer: NodeJS.Timeout | undefined;
  let connected = false;
  let ended = false;
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));

  const armTimer = (): void => {
    if (timer === undefined) timer = setTimeout(() => act(onTimeout(state)), negotiated.timeoutMs);
    else timer.refresh();
  };

  const sendBlocks = (): void => {
    for (let n = state.sendFrom; n <= state.sendTo; n++) {
      const header = headers[n % negotiated.windowsize] as Buffer;
      writeDataHeader(header, n);
      const from = blockStart(state, n);
      const to = blockEnd(state, n);
      // subarray: the payload goes out straight from the file's Buffer, nothing is copied per block.
      if (to > from) socket.send([header, data.subarray(from, to)]);
      else socket.send(header);
    }
  };

  const finish = (failure?: Failure): void => {
    if (ended) return;
    ended = true;
    if (timer !== undefined) clearTimeout(timer);
    let errorSent = false;
    if (failure?.send && failure.errorCode !== undefined && connected) {
      // Best effort: the kernel takes the datagram before close() returns when the send queue is empty.
      socket.send(encodeError(failure.errorCode, failure.message));
      errorSent = true;
    }
    try {
      socket.close(markClosed);
    } catch {
      markClosed();
    }
    const summary: SessionSummary = {
      outcome: failure?.outcome ?? 'completed',
      message: failure?.message ?? '',
      errorSent,
      size: state.size,
      blksize: state.blksize,
      windowsize: state.windowsize,
      sentBytes: state.sentBytes,
      retransmits: state.retransmits,
      durationMs: Math.round((performance.now() - startedAt) * 1000) / 1000,
      drops,
    };
    onEnd(failure?.errorCode === undefined ? summary : { ...summary, errorCode: failure.errorCode });
  };

  const act = (decision: StartDecision | AckDecision | TimeoutDecision): void => {
    switch (decision) {
      case 'send-oack':
        socket.send(oackPacket as Buffer);
        return armTimer();
      case 'send-data':
        sendBlocks();
        return armTimer();
      case 'complete':
        return finish();
      case 'give-up': {
        const message = `no acknowledgement after ${job.maxRetries} retransmissions`;
        return finish({ outcome: 'timeout', message, errorCode: ERROR_CODE.notDefined, send: true });
      }
      case 'ignore-duplicate':
        drops['duplicate-ack']++;
        return;
      case 'ignore-stale':
        drops['stale-ack']++;
        return;
      case 'ignore-finished':
        return;
    }
  };

  const onMessage = (msg: Buffer): void => {
    const decoded = decodePacket(msg);
    if (!decoded.ok) {
      drops.malformed++;
      return;
    }
    const packet = decoded.value;
    if (packet.kind === 'ack') return act(onAck(state, packet.block));
    if (packet.kind === 'error') {
      abort(state);
      return finish({ outcome: 'peer-error', message: packet.message, errorCode: packet.code, send: false });
    }
    drops['unexpected-opcode']++;
  };
  socket.on('message', (msg: Buffer) => {
    if (ended) return;
    try {
      onMessage(msg);
    } catch (err) {
      // Last line of defence: a bug must end this transfer, not the thread serving all the others.
      abort(state);
      finish({ outcome: 'socket-error', message: `internal error: ${String(err)}`, send: false });
    }
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    abort(state);
    // A connected UDP socket reports the client's ICMP port unreachable as ECONNREFUSED: it went away.
    const outcome = err.code === 'ECONNREFUSED' ? 'peer-unreachable' : 'socket-error';
    finish({ outcome, message: err.message, send: false });
  });
  socket.bind({ port: 0, address: job.bindAddress }, () => {
    if (ended) return;
    socket.connect(job.peer.port, job.peer.address, (err?: Error) => {
      if (ended) return;
      if (err) return finish({ outcome: 'socket-error', message: err.message, send: false });
      connected = true;
      act(start(state));
    });
  });

  return {
    stop: () => {
      abort(state);
      finish({ outcome: 'stopped', message: 'server shutting down', errorCode: ERROR_CODE.notDefined, send: true });
      return closed;
    },
  };
}
