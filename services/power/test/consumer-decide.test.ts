import { describe, expect, it } from 'vitest';
import { admit, backoffMs, mayRetry, planStep, resumePlan, type Step } from '../src/commands/decide.js';
import type { PowerAction, PowerState } from '@metalbus/events';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const limits = { now: NOW, maxAgeMs: 3_600_000, timeoutMs: 120_000 };
const cmd = (fields: { at?: string; deadline?: string | null } = {}) => ({
  machineId: '4c4c4544-0051-3010-8052-b4c04f564433',
  at: fields.at ?? '2025-06-01T11:59:59.000Z',
  deadline: fields.deadline ?? null,
});

describe('admit', () => {
  it('runs fresh commands within the sooner of deadline and command timeout', () => {
    expect([
      admit(cmd(), true, null, limits),
      admit(cmd({ deadline: '2025-06-01T12:00:30.000Z' }), true, null, limits),
    ]).toEqual([
      { kind: 'run', budgetEnd: NOW + 120_000, pastDeadline: false },
      { kind: 'run', budgetEnd: NOW + 30_000, pastDeadline: false },
    ]);
  });

  it('expires commands past their deadline or too old, before looking for a BMC', () => {
    expect([
      admit(cmd({ deadline: '2025-06-01T11:59:00.000Z' }), false, null, limits),
      admit(cmd({ at: '2025-06-01T10:00:00.000Z' }), true, null, limits),
    ]).toEqual([
      { kind: 'expired', error: { code: 'expired', message: 'deadline passed 60 s before the command was taken' } },
      {
        kind: 'expired',
        error: { code: 'expired', message: 'command is 7200 s old, more than the 3600 s allowed without a deadline' },
      },
    ]);
  });

  it('rejects machines without a BMC record', () => {
    expect(admit(cmd(), false, null, limits)).toEqual({
      kind: 'rejected',
      error: {
        code: 'unknown-machine',
        message:
          'no BMC configured for machine 4c4c4544-0051-3010-8052-b4c04f564433 (no record in the bmcs bucket; add one with `metalbus bmc set`)',
      },
    });
  });

  it('lets a started command past its deadline run, but marks it so nothing new is sent', () => {
    const late = cmd({ deadline: '2025-06-01T11:59:00.000Z' });
    expect([admit(late, true, 'sending', limits), resumePlan('on', 'sending', true)]).toEqual([
      { kind: 'run', budgetEnd: NOW + 120_000, pastDeadline: true },
      'verify',
    ]);
  });
});

describe('resumePlan', () => {
  it('repeats nothing that may have happened', () => {
    const actions: PowerAction[] = ['on', 'off', 'soft-off', 'cycle', 'reset', 'status'];
    const table = Object.fromEntries(
      actions.map((a) => [
        a,
        [resumePlan(a, null, false), resumePlan(a, 'sending', false), resumePlan(a, 'sent', false)],
      ]),
    );
    expect(table).toEqual({
      on: ['fresh', 'fresh', 'readback'],
      off: ['fresh', 'fresh', 'readback'],
      'soft-off': ['fresh', 'fresh', 'readback'],
      cycle: ['fresh', 'interrupted', 'readback'],
      reset: ['fresh', 'interrupted', 'readback'],
      status: ['fresh', 'fresh', 'readback'],
    });
  });
});

describe('planStep', () => {
  it('sends nothing when the state is already right, and powers on instead of cycling an off machine', () => {
    const actions: PowerAction[] = ['on', 'off', 'soft-off', 'cycle', 'reset', 'status'];
    const states: PowerState[] = ['on', 'off', 'unknown'];
    const table = Object.fromEntries(actions.map((a) => [a, states.map((s) => planStep(a, s))]));
    expect(table).toEqual({
      on: ['none', 'powerOn', 'powerOn'],
      off: ['powerOff', 'none', 'powerOff'],
      'soft-off': ['softOff', 'none', 'softOff'],
      cycle: ['cycle', 'powerOn', 'cycle'],
      reset: ['reset', 'powerOn', 'reset'],
      status: ['none', 'none', 'none'],
    });
  });
});

describe('mayRetry and backoffMs', () => {
  it('retries transient errors except a cycle/reset that timed out while being sent', () => {
    const cases: [Step | null, 'read' | 'boot' | 'action', string, boolean][] = [
      ['powerOn', 'action', 'timeout', true],
      [null, 'read', 'unreachable', true],
      ['cycle', 'action', 'timeout', false],
      ['reset', 'action', 'timeout', false],
      ['cycle', 'action', 'bmc-busy', true],
      ['cycle', 'boot', 'timeout', true],
      ['powerOff', 'action', 'auth-failed', false],
    ];
    expect(cases.map(([step, stage, code, transient]) => mayRetry(step, stage, { code, transient }))).toEqual([
      true,
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
    expect([1, 2, 3, 10].map((n) => backoffMs(n, 1_000))).toEqual([1_000, 2_000, 4_000, 30_000]);
  });
});
