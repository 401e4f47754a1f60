import { describe, expect, it } from 'vitest';
import { admit, afterFailure, backoffMs, planStep, resumePlan, type Stage, type Step } from '../src/commands/decide.js';
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

describe('afterFailure and backoffMs', () => {
  it('never re-sends a cycle/reset that may have reached the BMC; retries everything else that is transient', () => {
    // [step, stage, code, transient, unanswered]: unanswered = sent, no answer (the BMC may have acted on it).
    const cases: [Step | null, Stage, string, boolean, boolean][] = [
      ['cycle', 'action', 'unreachable', true, true],
      ['cycle', 'action', 'timeout', true, true],
      ['reset', 'action', 'unreachable', true, true],
      ['reset', 'action', 'timeout', true, true],
      ['cycle', 'action', 'protocol', false, true],
      ['cycle', 'action', 'unreachable', true, false],
      ['reset', 'action', 'timeout', true, false],
      ['cycle', 'action', 'bmc-busy', true, false],
      ['cycle', 'read', 'unreachable', true, true],
      ['cycle', 'boot', 'timeout', true, true],
      [null, 'read', 'unreachable', true, true],
      ['powerOn', 'action', 'timeout', true, true],
      ['powerOff', 'action', 'unreachable', true, true],
      ['softOff', 'action', 'unreachable', true, true],
      ['powerOff', 'action', 'auth-failed', false, false],
      ['cycle', 'action', 'unsupported', false, false],
    ];
    expect(
      cases.map(([step, stage, code, transient, unanswered]) => [
        `${step}/${stage}/${code}/${unanswered ? 'unanswered' : 'not-sent'}`,
        afterFailure(step, stage, { code, transient, unanswered }),
      ]),
    ).toEqual([
      ['cycle/action/unreachable/unanswered', 'outcome-unknown'],
      ['cycle/action/timeout/unanswered', 'outcome-unknown'],
      ['reset/action/unreachable/unanswered', 'outcome-unknown'],
      ['reset/action/timeout/unanswered', 'outcome-unknown'],
      ['cycle/action/protocol/unanswered', 'outcome-unknown'],
      ['cycle/action/unreachable/not-sent', 'retry'],
      ['reset/action/timeout/not-sent', 'retry'],
      ['cycle/action/bmc-busy/not-sent', 'retry'],
      ['cycle/read/unreachable/unanswered', 'retry'],
      ['cycle/boot/timeout/unanswered', 'retry'],
      ['null/read/unreachable/unanswered', 'retry'],
      ['powerOn/action/timeout/unanswered', 'retry'],
      ['powerOff/action/unreachable/unanswered', 'retry'],
      ['softOff/action/unreachable/unanswered', 'retry'],
      ['powerOff/action/auth-failed/not-sent', 'fail'],
      ['cycle/action/unsupported/not-sent', 'fail'],
    ]);
    expect([1, 2, 3, 10].map((n) => backoffMs(n, 1_000))).toEqual([1_000, 2_000, 4_000, 30_000]);
  });
});
