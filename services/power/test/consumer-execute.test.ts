import type { PowerState } from '@metalbus/events';
import { describe, expect, it } from 'vitest';
import { executeCommand, type ExecuteInput } from '../src/commands/execute.js';
import { BmcError, type BmcErrorCode, type PowerDriver } from '../src/drivers/driver.js';

// executeCommand against scripted fake drivers (Fixed, Broken, Flaky, Lying) with a fake clock: every BMC call and
// every phase marker is recorded, so the whole conversation is compared.

type Script = {
  state: PowerState;
  /** Status answers to give before the real state (an IPMI BMC lying right after an action). */
  staleReads?: PowerState[];
  /**
   * Errors to throw, per operation, in order (then succeed). A bare code gets BmcError's default `unanswered`
   * (true for timeout/unreachable); `not-sent:<code>` is a failure known to precede sending.
   */
  fail?: Partial<Record<string, (BmcErrorCode | `not-sent:${BmcErrorCode}`)[]>>;
};

function fakeDriver(script: Script, log: string[]): PowerDriver {
  const stale = [...(script.staleReads ?? [])];
  const op = async (name: string, effect?: () => void): Promise<void> => {
    log.push(name);
    const scripted = script.fail?.[name]?.shift();
    if (scripted !== undefined) {
      const [code, notSent] = scripted.startsWith('not-sent:')
        ? [scripted.slice('not-sent:'.length) as BmcErrorCode, true]
        : [scripted as BmcErrorCode, false];
      throw new BmcError(code, 'fake:623', name, 'scripted', notSent ? { unanswered: false } : undefined);
    }
    effect?.();
  };
  return {
    kind: 'ipmi',
    target: 'fake:623',
    async status() {
      await op('status');
      return stale.shift() ?? script.state;
    },
    powerOn: () => op('powerOn', () => (script.state = 'on')),
    powerOff: () => op('powerOff', () => (script.state = 'off')),
    softOff: () => op('softOff', () => (script.state = 'off')),
    cycle: () => op('cycle', () => (script.state = 'on')),
    reset: () => op('reset'),
    setBootOnce: (device, firmware) => op(`setBootOnce(${device},${firmware})`),
    clearBootOverride: () => op('clearBootOverride'),
    close: async () => undefined,
  };
}

async function run(script: Script, input: Partial<ExecuteInput> & Pick<ExecuteInput, 'action'>, retries = 2) {
  const log: string[] = [];
  let clock = 0;
  const result = await executeCommand(
    {
      bootDevice: null,
      bootFirmware: 'uefi',
      plan: 'fresh',
      budgetEnd: 60_000,
      signal: new AbortController().signal,
      ...input,
    },
    {
      driver: fakeDriver(script, log),
      markPhase: async (p) => void log.push(`phase ${p}`),
      onBmcError: (e) => log.push(`error ${e.code}`),
      settings: { retries, retryBackoffMs: 1_000, callTimeoutMs: 10_000, readbackIntervalMs: 500 },
      now: () => clock,
      sleep: async (ms) => {
        log.push(`sleep ${ms}`);
        clock += ms;
      },
    },
  );
  return { result, log };
}

describe('executeCommand', () => {
  it('sets the boot device, marks the phase around the action and reads the state back', async () => {
    expect(await run({ state: 'off' }, { action: 'on', bootDevice: 'pxe' })).toEqual({
      result: { outcome: 'ok', error: null, observed: 'on', attempts: 1, step: 'powerOn' },
      log: ['status', 'setBootOnce(pxe,uefi)', 'phase sending', 'powerOn', 'phase sent', 'status'],
    });
  });

  it('sends nothing when the machine is already in the wanted state', async () => {
    expect(await run({ state: 'on' }, { action: 'on', bootDevice: 'pxe' })).toEqual({
      result: { outcome: 'ok', error: null, observed: 'on', attempts: 1, step: 'none' },
      log: ['status'],
    });
  });

  it('keeps reading until a lying BMC reports off', async () => {
    expect((await run({ state: 'on', staleReads: ['on', 'on', 'on'] }, { action: 'off' })).log).toEqual([
      'status',
      'phase sending',
      'powerOff',
      'phase sent',
      'status',
      'sleep 500',
      'status',
      'sleep 500',
      'status',
    ]);
  });

  it('retries transient errors with back-off, re-reading the state first', async () => {
    const { result, log } = await run(
      { state: 'off', fail: { powerOn: ['bmc-busy', 'unreachable'] } },
      { action: 'on' },
    );
    expect(result).toEqual({ outcome: 'ok', error: null, observed: 'on', attempts: 3, step: 'powerOn' });
    expect(log).toEqual([
      'status',
      'phase sending',
      'powerOn',
      'error bmc-busy',
      'sleep 1000',
      'status',
      'phase sending',
      'powerOn',
      'error unreachable',
      'sleep 2000',
      'status',
      'phase sending',
      'powerOn',
      'phase sent',
      'status',
    ]);
  });

  it('gives up after RETRIES, and at once on permanent errors', async () => {
    const outcomes = await Promise.all([
      run({ state: 'off', fail: { status: ['timeout', 'timeout', 'timeout'] } }, { action: 'on' }),
      run({ state: 'on', fail: { powerOff: ['auth-failed'] } }, { action: 'off' }),
    ]);
    expect(
      outcomes.map(({ result }) => [result.outcome, result.error?.code, result.observed, result.attempts]),
    ).toEqual([
      ['error', 'timeout', 'unknown', 3],
      ['error', 'auth-failed', 'on', 1],
    ]);
  });

  it('sends a cycle/reset that got no answer exactly once and ends it as interrupted, whatever the code', async () => {
    const outcomes = await Promise.all([
      run({ state: 'on', fail: { cycle: ['unreachable'] } }, { action: 'cycle' }),
      run({ state: 'on', fail: { cycle: ['timeout'] } }, { action: 'cycle' }),
      run({ state: 'on', fail: { reset: ['unreachable'] } }, { action: 'reset' }),
    ]);
    expect(outcomes.map(({ result, log }) => ({ result, log }))).toEqual(
      ['cycle', 'cycle', 'reset'].map((action, i) => ({
        result: {
          outcome: 'error',
          error: {
            code: 'interrupted',
            message:
              `the ${action} was sent to BMC fake:623 but no answer came back (${i === 1 ? 'timeout' : 'unreachable'}: ` +
              "scripted); it may or may not have been executed, so it is not sent again: check the machine's state",
          },
          observed: 'unknown',
          attempts: 1,
          step: action,
        },
        log: ['status', 'phase sending', action, `error ${i === 1 ? 'timeout' : 'unreachable'}`],
      })),
    );
  });

  it('retries a cycle that provably never left or that the BMC refused as busy', async () => {
    const outcomes = await Promise.all([
      run({ state: 'on', fail: { cycle: ['not-sent:unreachable'] } }, { action: 'cycle' }),
      run({ state: 'on', fail: { cycle: ['bmc-busy'] } }, { action: 'cycle' }),
    ]);
    expect(outcomes.map(({ result, log }) => [result.outcome, result.attempts, log])).toEqual([
      [
        'ok',
        2,
        [
          'status',
          'phase sending',
          'cycle',
          'error unreachable',
          'sleep 1000',
          'status',
          'phase sending',
          'cycle',
          'phase sent',
          'status',
        ],
      ],
      [
        'ok',
        2,
        [
          'status',
          'phase sending',
          'cycle',
          'error bmc-busy',
          'sleep 1000',
          'status',
          'phase sending',
          'cycle',
          'phase sent',
          'status',
        ],
      ],
    ]);
  });

  it('retries an idempotent action that got no answer: the retry reads the state first', async () => {
    const { result, log } = await run({ state: 'on', fail: { powerOff: ['unreachable'] } }, { action: 'off' });
    expect([result.outcome, result.attempts, log]).toEqual([
      'ok',
      2,
      [
        'status',
        'phase sending',
        'powerOff',
        'error unreachable',
        'sleep 1000',
        'status',
        'phase sending',
        'powerOff',
        'phase sent',
        'status',
      ],
    ]);
  });

  it('after a crash: confirms a sent action, refuses to repeat an interrupted cycle, only verifies past the deadline', async () => {
    const outcomes = await Promise.all([
      run({ state: 'on' }, { action: 'cycle', plan: 'readback' }),
      run({ state: 'on' }, { action: 'cycle', plan: 'interrupted' }),
      run({ state: 'off' }, { action: 'on', plan: 'verify' }),
    ]);
    expect(
      outcomes.map(({ result, log }) => [result.outcome, result.error?.code ?? null, result.observed, log]),
    ).toEqual([
      ['ok', null, 'on', ['status']],
      ['error', 'interrupted', 'on', ['status']],
      ['expired', 'expired', 'off', ['status']],
    ]);
  });

  it('reports a state that never comes as state-mismatch once the budget is spent', async () => {
    const { result } = await run(
      { state: 'on', staleReads: Array(100).fill('on') },
      { action: 'soft-off', budgetEnd: 2_000 },
    );
    expect(result).toEqual({
      outcome: 'error',
      error: { code: 'state-mismatch', message: 'the BMC still reports on after soft-off, expected off' },
      observed: 'on',
      attempts: 1,
      step: 'softOff',
    });
  });

  it('abandons the command (throws) when stopped', async () => {
    const stop = new AbortController();
    stop.abort(new Error('stopping'));
    await expect(run({ state: 'off' }, { action: 'on', signal: stop.signal })).rejects.toThrow('stopping');
  });
});
