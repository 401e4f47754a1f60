import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { executeCommand } from '../src/commands/execute.js';
import { PowerError } from '../src/commands/errors.js';
import type { PowerDriver } from '../src/drivers/driver.js';
import { createLeaseStore, type Lease, type LeaseKv } from '../src/leases/bmc-leases.js';

// The per-BMC lease against a scripted bucket (Fixed, Broken, Hanging) under fake timers: every bucket call and
// the moment the holder is told to stop are logged in fake milliseconds since the acquisition, and compared whole.

type Mode = 'ok' | 'fail' | 'hang' | 'conflict';

const TTL_MS = 3_000; // renewals every 1 000 ms, trust for 2 000 ms after the last successful one
const INFO = { replica: 'r1', purpose: 'command', machineId: 'm1', requestId: 'q1', bmc: '10.0.0.5:623' } as const;

function scriptedKv(log: string[], at: () => number) {
  const state = { mode: 'ok' as Mode, revision: 0 };
  const kv: LeaseKv = {
    async create() {
      log.push(`${at()} create`);
      return ++state.revision;
    },
    update() {
      const mode = state.mode;
      log.push(`${at()} update ${mode}`);
      if (mode === 'hang') return new Promise<number>(() => undefined); // NATS unreachable: no reply, ever
      if (mode === 'fail') return Promise.reject(new Error('TIMEOUT'));
      if (mode === 'conflict') return Promise.reject(Object.assign(new Error('wrong last sequence'), { code: 10071 }));
      return Promise.resolve(++state.revision);
    },
    async delete(_key, opts) {
      log.push(`${at()} delete previousSeq=${opts?.previousSeq}`);
    },
    async get() {
      return null;
    },
  };
  return { kv, state };
}

async function holdLease(mode: Mode[]): Promise<{ log: string[]; lease: Lease; switchTo(m: Mode): void }> {
  const t0 = Date.now();
  const at = () => Date.now() - t0;
  const log: string[] = [];
  const { kv, state } = scriptedKv(log, at);
  state.mode = mode[0] ?? 'ok';
  const store = createLeaseStore(kv, { ttlMs: TTL_MS, logger: pino({ level: 'silent' }), now: () => Date.now() });
  const lease = await store.acquire('10.0.0.5_623', INFO, { waitMs: 0, signal: new AbortController().signal });
  if (lease === null) throw new Error('lease not acquired');
  lease.lost.addEventListener('abort', () => {
    const reason: unknown = lease.lost.reason;
    log.push(`${at()} lost: ${reason instanceof PowerError ? `${reason.code}: ${reason.message}` : String(reason)}`);
  });
  return { log, lease, switchTo: (m) => (state.mode = m) };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('BMC lease', () => {
  it('is kept as long as renewals succeed, however long the work takes', async () => {
    const { log, lease } = await holdLease(['ok']);
    await vi.advanceTimersByTimeAsync(120_000); // COMMAND_TIMEOUT_MS
    await lease.release();
    expect([lease.lost.aborted, log.length, log[0], log.at(-2), log.at(-1)]).toEqual([
      false,
      122,
      '0 create',
      '120000 update ok',
      '120000 delete previousSeq=121',
    ]);
  });

  it('stops the holder when renewals fail for 2/3 of the TTL, before the lease can lapse', async () => {
    const { log, lease, switchTo } = await holdLease(['ok']);
    await vi.advanceTimersByTimeAsync(1_500);
    switchTo('fail');
    await vi.advanceTimersByTimeAsync(10_000);
    await lease.release();
    expect(log).toEqual([
      '0 create',
      '1000 update ok',
      '2000 update fail',
      '3000 update fail',
      '3000 lost: lease-lost: lease 10.0.0.5_623 not renewed for 2000 ms (NATS unreachable?); stopped before it could lapse',
      // Still possibly ours: give it back at once if NATS answers (the revision guard keeps this safe).
      '11500 delete previousSeq=2',
    ]);
  });

  it('stops the holder when a renewal hangs (no reply from NATS), without stacking more renewals on it', async () => {
    const { log, lease } = await holdLease(['hang']);
    await vi.advanceTimersByTimeAsync(10_000);
    const released = lease.release();
    await vi.advanceTimersByTimeAsync(1_000);
    await released; // does not wait for the renewal that never ends
    expect(log).toEqual([
      '0 create',
      '1000 update hang',
      '2000 lost: lease-lost: lease 10.0.0.5_623 not renewed for 2000 ms (NATS unreachable?); stopped before it could lapse',
      '11000 delete previousSeq=1',
    ]);
  });

  it('stops the holder at once when the lease was taken over, and leaves the new holder its key', async () => {
    const { log, lease } = await holdLease(['conflict']);
    await vi.advanceTimersByTimeAsync(5_000);
    await lease.release();
    expect(log).toEqual(['0 create', '1000 update conflict', '1000 lost: lease-lost: lease 10.0.0.5_623 lost']);
  });

  it('ends a command in progress with lease-lost (the handler hands it back) when renewals start failing', async () => {
    const { lease, switchTo } = await holdLease(['ok']);
    const sent: string[] = [];
    // A BMC that takes its time: the read-back waits until the call is aborted.
    const slow = (name: string) => (signal: AbortSignal) =>
      new Promise<never>((_resolve, reject) => {
        sent.push(name);
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
    const driver: PowerDriver = {
      kind: 'ipmi',
      target: 'fake:623',
      status: slow('status'),
      powerOn: slow('powerOn'),
      powerOff: slow('powerOff'),
      softOff: slow('softOff'),
      cycle: slow('cycle'),
      reset: slow('reset'),
      setBootOnce: (_d, _f, signal) => slow('setBootOnce')(signal),
      clearBootOverride: slow('clearBootOverride'),
      close: async () => undefined,
    };
    const running = executeCommand(
      {
        action: 'cycle',
        bootDevice: null,
        bootFirmware: 'uefi',
        plan: 'fresh',
        budgetEnd: Date.now() + 120_000,
        signal: lease.lost,
      },
      {
        driver,
        markPhase: async () => undefined,
        onBmcError: () => undefined,
        settings: { retries: 3, retryBackoffMs: 1_000, callTimeoutMs: 60_000, readbackIntervalMs: 1_000 },
        now: () => Date.now(),
        sleep: async () => undefined,
      },
    ).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_500);
    switchTo('fail');
    await vi.advanceTimersByTimeAsync(5_000);
    const ended = await running;
    await lease.release();
    expect([sent, ended instanceof PowerError && ended.code]).toEqual([['status'], 'lease-lost']);
  });
});
