import { describe, expect, it } from 'vitest';
import type { TransferSpec, TransferState } from '../src/tftp/transfer.js';
import { abort, blockEnd, blockStart, createTransfer, onAck, onTimeout, start } from '../src/tftp/transfer.js';

const spec = (over: Partial<TransferSpec> = {}): TransferSpec => ({
  size: 1300,
  blksize: 512,
  windowsize: 1,
  maxRetries: 2,
  withOack: false,
  ...over,
});

/** Runs events and records each decision with the block range it asks for. */
function trace(s: TransferState, events: Array<number | 'timeout'>): string[] {
  return events.map((e) => {
    const d = e === 'timeout' ? onTimeout(s) : onAck(s, e);
    return d === 'send-data' ? `${e}->send ${s.sendFrom}..${s.sendTo}` : `${e}->${d}`;
  });
}

describe('transfer state machine', () => {
  it('lock-step (RFC 1350): 1300 bytes at 512 are blocks 1, 2 and a short 3', () => {
    const s = createTransfer(spec());
    expect([start(s), s.sendFrom, s.sendTo]).toEqual(['send-data', 1, 1]);
    expect(trace(s, [1, 2, 3])).toEqual(['1->send 2..2', '2->send 3..3', '3->complete']);
    expect([blockStart(s, 3), blockEnd(s, 3)]).toEqual([1024, 1300]);
    expect({ phase: s.phase, retransmits: s.retransmits, sentBytes: s.sentBytes }).toEqual({
      phase: 'done',
      retransmits: 0,
      sentBytes: 1300,
    });
  });

  it('a size that is a multiple of blksize ends with an empty block (RFC 1350 §6)', () => {
    const s = createTransfer(spec({ size: 1024 }));
    start(s);
    expect(trace(s, [1, 2, 3])).toEqual(['1->send 2..2', '2->send 3..3', '3->complete']);
    expect([blockStart(s, 3), blockEnd(s, 3)]).toEqual([1024, 1024]);
    const empty = createTransfer(spec({ size: 0 }));
    expect([start(empty), empty.lastBlock, blockEnd(empty, 1)]).toEqual(['send-data', 1, 0]);
  });

  it("duplicate ACKs are ignored, never answered (RFC 1123 §4.2.3.1, Sorcerer's Apprentice)", () => {
    const s = createTransfer(spec());
    start(s);
    expect(trace(s, [1, 1, 0, 2, 2, 1])).toEqual([
      '1->send 2..2',
      '1->ignore-duplicate',
      '0->ignore-stale', // older than the last ACK: maps beyond anything sent
      '2->send 3..3',
      '2->ignore-duplicate',
      '1->ignore-stale', // older than the last ACK: maps beyond anything sent
    ]);
    expect(s.retransmits).toBe(0);
  });

  it('an ACK for a block never sent is ignored', () => {
    const s = createTransfer(spec());
    start(s);
    expect(trace(s, [3, 2, 1])).toEqual(['3->ignore-stale', '2->ignore-stale', '1->send 2..2']);
  });

  it('timeouts resend the outstanding block, then give up after maxRetries; progress resets the count', () => {
    const s = createTransfer(spec());
    start(s);
    expect(trace(s, ['timeout', 'timeout', 1, 'timeout', 'timeout', 'timeout', 2])).toEqual([
      'timeout->send 1..1',
      'timeout->send 1..1',
      '1->send 2..2',
      'timeout->send 2..2',
      'timeout->send 2..2',
      'timeout->give-up',
      '2->ignore-finished',
    ]);
    expect({ phase: s.phase, retransmits: s.retransmits, sentBytes: s.sentBytes }).toEqual({
      phase: 'failed',
      retransmits: 4,
      sentBytes: 512 * 6,
    });
  });

  it('with options, the OACK goes first and ACK 0 starts the data (RFC 2347)', () => {
    const s = createTransfer(spec({ withOack: true }));
    expect(start(s)).toBe('send-oack');
    expect(trace(s, [1, 'timeout', 0, 0, 1])).toEqual([
      '1->ignore-stale',
      'timeout->send-oack',
      '0->send 1..1',
      '0->ignore-duplicate',
      '1->send 2..2',
    ]);
    expect(s.retransmits).toBe(1);
  });

  it('windowsize (RFC 7440): a window per ACK, partial ACK restarts after it, timeout resends the window', () => {
    const s = createTransfer(spec({ size: 10 * 512 + 100, windowsize: 4 }));
    start(s);
    expect([s.sendFrom, s.sendTo]).toEqual([1, 4]);
    expect(trace(s, [4, 6, 'timeout', 10, 11])).toEqual([
      '4->send 5..8',
      '6->send 7..10', // 7 and 8 again, 9 and 10 new
      'timeout->send 7..10',
      '10->send 11..11',
      '11->complete',
    ]);
    expect(s.retransmits).toBe(2 + 4);
  });

  it('before any DATA ACK a timeout resends block 1 only, never the window; the OACK phase resends only the OACK', () => {
    const s = createTransfer(spec({ size: 10 * 512, windowsize: 4, maxRetries: 3, withOack: true }));
    expect(start(s)).toBe('send-oack');
    expect(trace(s, ['timeout', 'timeout', 0, 'timeout', 'timeout', 'timeout', 'timeout', 'timeout'])).toEqual([
      'timeout->send-oack',
      'timeout->send-oack',
      '0->send 1..4', // the client's ACK 0 opens the first window
      'timeout->send 1..1',
      'timeout->send 1..1',
      'timeout->send 1..1',
      'timeout->give-up',
      'timeout->ignore-finished',
    ]);
    // One window, then one block per retry: 7 blocks, not 4 + 3 × 4.
    expect({ sentBytes: s.sentBytes, retransmits: s.retransmits }).toEqual({ sentBytes: 7 * 512, retransmits: 5 });
    const t = createTransfer(spec({ size: 10 * 512, windowsize: 4, maxRetries: 3, withOack: true }));
    start(t);
    expect(trace(t, [0, 'timeout', 'timeout', 2, 'timeout'])).toEqual([
      '0->send 1..4',
      'timeout->send 1..1',
      'timeout->send 1..1',
      '2->send 3..6', // the client answered: full windows again
      'timeout->send 3..6',
    ]);
  });

  it('block numbers roll over to 0 after 65535: a 33.5 MB file at blksize 512 completes', () => {
    const size = 512 * 70_000 + 7; // 70,001 blocks
    const s = createTransfer(spec({ size }));
    start(s);
    const wire: number[] = [];
    let offRange = 0; // decisions that asked for anything but exactly block n
    let decision: string = 'send-data';
    for (let n = 1; decision === 'send-data'; n++) {
      if (s.sendFrom !== n || s.sendTo !== n) offRange++;
      wire.push(n & 0xffff);
      decision = onAck(s, n & 0xffff);
    }
    expect(offRange).toBe(0);
    expect(decision).toBe('complete');
    expect(wire.length).toBe(70_001);
    expect(wire.slice(65_533, 65_539)).toEqual([65534, 65535, 0, 1, 2, 3]);
    expect({ sentBytes: s.sentBytes, retransmits: s.retransmits }).toEqual({ sentBytes: size, retransmits: 0 });
  });

  it('rollover with a window: ACK numbers map onto the outstanding range across the wrap', () => {
    const s = createTransfer(spec({ size: 512 * 65_540, windowsize: 8 }));
    start(s);
    while (s.sendTo < 65_530) onAck(s, s.sendTo & 0xffff);
    expect([s.sendFrom, s.sendTo]).toEqual([65_529, 65_536]);
    // A duplicate of an ACK from just before the wrap is still a duplicate, and 0 acknowledges block 65536.
    expect(trace(s, [65_528, 65_535, 0])).toEqual([
      '65528->ignore-duplicate',
      '65535->send 65536..65541', // partial: block 65536 again, then up to the last block
      '0->send 65537..65541',
    ]);
    expect(trace(s, [65_541 & 0xffff])).toEqual(['5->complete']);
  });

  it('abort marks the transfer failed and later events are ignored', () => {
    const s = createTransfer(spec());
    start(s);
    abort(s);
    expect([s.phase, onAck(s, 1), onTimeout(s)]).toEqual(['failed', 'ignore-finished', 'ignore-finished']);
  });
});
