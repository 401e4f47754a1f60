// One read transfer as a state machine: events in (start, ACK, timeout), a decision out. No sockets or timers.
// The decision is a string; the block range to send is left in `sendFrom..sendTo` so that the hot path (one ACK,
// one decision) allocates nothing.
//
// Blocks are numbered absolutely from 1 here; the wire carries `n & 0xffff` (RFC 1350 §5 gives 16 bits). Files
// of more than 65535 blocks roll over to 0, which is what curl, busybox, tftp-hpa and iPXE expect.
// The last block is shorter than blksize, possibly empty (RFC 1350 §6), so a file has floor(size/blksize)+1 blocks.

export type TransferSpec = {
  readonly size: number;
  readonly blksize: number;
  /** RFC 7440 window: blocks sent before waiting for an ACK; 1 is RFC 1350 lock-step. */
  readonly windowsize: number;
  /** Consecutive timeouts without progress before giving up. */
  readonly maxRetries: number;
  /** An OACK goes first and must be acknowledged with ACK 0 (RFC 2347). */
  readonly withOack: boolean;
};

export type Phase = 'oack' | 'data' | 'done' | 'failed';

export type TransferState = TransferSpec & {
  readonly lastBlock: number;
  phase: Phase;
  /** Highest block the peer has acknowledged (0: none, or only the OACK). */
  acked: number;
  /** Highest block sent so far. */
  sent: number;
  /** The blocks the last 'send-data' decision asks for, inclusive. */
  sendFrom: number;
  sendTo: number;
  /** Timeouts since the last progress. */
  retries: number;
  /** Packets (OACK or DATA) sent more than once. */
  retransmits: number;
  /** DATA payload bytes sent, retransmissions included. */
  sentBytes: number;
};

export type StartDecision = 'send-oack' | 'send-data';
export type AckDecision = 'send-data' | 'complete' | 'ignore-duplicate' | 'ignore-stale' | 'ignore-finished';
export type TimeoutDecision = 'send-oack' | 'send-data' | 'give-up' | 'ignore-finished';

export function createTransfer(spec: TransferSpec): TransferState {
  return {
    ...spec,
    lastBlock: Math.floor(spec.size / spec.blksize) + 1,
    phase: spec.withOack ? 'oack' : 'data',
    acked: 0,
    sent: 0,
    sendFrom: 1,
    sendTo: 0,
    retries: 0,
    retransmits: 0,
    sentBytes: 0,
  };
}

/** Byte offset of block `n`'s payload in the file. */
export function blockStart(s: TransferState, n: number): number {
  return (n - 1) * s.blksize;
}

/** Byte offset just past block `n`'s payload. */
export function blockEnd(s: TransferState, n: number): number {
  return Math.min(n * s.blksize, s.size);
}

export function start(s: TransferState): StartDecision {
  if (s.phase === 'oack') return 'send-oack';
  return window(s, 1);
}

/** Plans blocks from..min(from+size-1, last); counts the ones already sent once as retransmits. */
function window(s: TransferState, from: number, size = s.windowsize): 'send-data' {
  const to = Math.min(from + size - 1, s.lastBlock);
  s.sendFrom = from;
  s.sendTo = to;
  if (from <= s.sent) s.retransmits += Math.min(to, s.sent) - from + 1;
  s.sentBytes += blockEnd(s, to) - blockStart(s, from);
  if (to > s.sent) s.sent = to;
  return 'send-data';
}

export function onAck(s: TransferState, wireBlock: number): AckDecision {
  if (s.phase === 'done' || s.phase === 'failed') return 'ignore-finished';
  if (s.phase === 'oack') {
    if (wireBlock !== 0) return 'ignore-stale';
    s.phase = 'data';
    s.retries = 0;
    return window(s, 1);
  }
  // Map the 16-bit number onto the outstanding range acked..sent (at most 65535 blocks wide, so unambiguous).
  const n = s.acked + ((wireBlock - s.acked) & 0xffff);
  if (n > s.sent) return 'ignore-stale';
  // RFC 1123 §4.2.3.1: never answer a duplicate ACK, or every delay doubles the traffic (Sorcerer's Apprentice).
  if (n === s.acked) return 'ignore-duplicate';
  s.acked = n;
  s.retries = 0;
  if (n === s.lastBlock) {
    s.phase = 'done';
    return 'complete';
  }
  // RFC 7440 §4: an ACK inside the window means the blocks after it were lost; the window restarts after it.
  return window(s, n + 1);
}

export function onTimeout(s: TransferState): TimeoutDecision {
  if (s.phase === 'done' || s.phase === 'failed') return 'ignore-finished';
  s.retries++;
  if (s.retries > s.maxRetries) {
    s.phase = 'failed';
    return 'give-up';
  }
  // Until the client has acknowledged the OACK (ACK 0, RFC 2347) nothing but the OACK is sent again: a client
  // that never answers (or a spoofed request) gets OACKs, never data.
  if (s.phase === 'oack') {
    s.retransmits++;
    return 'send-oack';
  }
  // Until a DATA block has been acknowledged, a timeout resends one block, not the window: the first window went
  // out on an ACK 0 alone, so bytes sent without any proof of delivery stay at one window plus `retries` blocks.
  // Nothing is lost: RFC 7440 §4 recovery is the receiver ACKing the last block it has in order, after which the
  // window restarts in full (onAck).
  return s.acked === 0 ? window(s, 1, 1) : window(s, s.acked + 1);
}

/** The peer sent ERROR, or the socket failed: the transfer ends without a reply. */
export function abort(s: TransferState): void {
  if (s.phase !== 'done') s.phase = 'failed';
}
