import type { ErrorInfo, PowerAction, PowerRequestedEvent, PowerState } from '@metalbus/events';
import { PowerErrorCode } from './errors.js';
import type { Phase } from './request-log.js';

// Pure decisions of the command consumer: no I/O, no clock (the caller passes `now`).

export type Admission =
  | { kind: 'run'; budgetEnd: number; pastDeadline: boolean }
  | { kind: 'expired'; error: ErrorInfo }
  | { kind: 'rejected'; error: ErrorInfo };

export type AdmissionLimits = { now: number; maxAgeMs: number; timeoutMs: number };

/**
 * Whether a command may touch its BMC, and until when. A command that never started and is past its deadline
 * (or, without one, older than maxAgeMs: left over from an outage) expires without touching the BMC. One that a
 * dead replica had started (`phase` set) runs anyway so its outcome is established, but `pastDeadline` then
 * forbids sending anything new.
 */
export function admit(
  cmd: Pick<PowerRequestedEvent, 'machineId' | 'at' | 'deadline'>,
  hasBmc: boolean,
  phase: Phase | null,
  limits: AdmissionLimits,
): Admission {
  const { now } = limits;
  const deadline = cmd.deadline === null ? null : Date.parse(cmd.deadline);
  const expiry = expiryOf(cmd.at, deadline, limits);
  if (expiry !== null && phase === null)
    return { kind: 'expired', error: { code: PowerErrorCode.expired, message: expiry } };
  if (!hasBmc) {
    return {
      kind: 'rejected',
      error: {
        code: PowerErrorCode.unknownMachine,
        message: `no BMC configured for machine ${cmd.machineId} (no record in the bmcs bucket; add one with \`metalbus bmc set\`)`,
      },
    };
  }
  const budgetEnd = Math.min(deadline !== null && deadline > now ? deadline : Infinity, now + limits.timeoutMs);
  return { kind: 'run', budgetEnd, pastDeadline: expiry !== null };
}

function expiryOf(at: string, deadline: number | null, { now, maxAgeMs }: AdmissionLimits): string | null {
  if (deadline !== null) {
    return deadline <= now
      ? `deadline passed ${Math.round((now - deadline) / 1000)} s before the command was taken`
      : null;
  }
  const age = now - Date.parse(at);
  return age > maxAgeMs
    ? `command is ${Math.round(age / 1000)} s old, more than the ${Math.round(maxAgeMs / 1000)} s allowed without a deadline`
    : null;
}

/** The state an action should leave the machine in (null: status reads only). */
export function expectedState(action: PowerAction): PowerState | null {
  switch (action) {
    case 'on':
    case 'cycle':
    case 'reset':
      return 'on';
    case 'off':
    case 'soft-off':
      return 'off';
    case 'status':
      return null;
  }
}

/**
 * How to continue a command after reading its request record (under the lease):
 * - fresh: nothing was sent, or an on/off that converges by checking the state first;
 * - readback: the BMC took the action (`sent`): only wait for the state;
 * - interrupted: a cycle/reset was being sent when its replica died: it may have happened, never repeat it;
 * - verify: past its deadline: read the state once, send nothing.
 */
export type ResumePlan = 'fresh' | 'readback' | 'interrupted' | 'verify';

export function resumePlan(action: PowerAction, phase: Phase | null, pastDeadline: boolean): ResumePlan {
  if (pastDeadline) return 'verify';
  if (phase === 'sent') return 'readback';
  if (phase === 'sending' && (action === 'cycle' || action === 'reset')) return 'interrupted';
  return 'fresh';
}

/** What to send given the current state: nothing when already there; power on instead of cycling an off box. */
export type Step = 'none' | 'powerOn' | 'powerOff' | 'softOff' | 'cycle' | 'reset';

export function planStep(action: PowerAction, state: PowerState): Step {
  switch (action) {
    case 'status':
      return 'none';
    case 'on':
      return state === 'on' ? 'none' : 'powerOn';
    case 'off':
      return state === 'off' ? 'none' : 'powerOff';
    case 'soft-off':
      return state === 'off' ? 'none' : 'softOff';
    case 'cycle':
    case 'reset':
      // Many BMCs refuse a cycle/reset of an off chassis ("not supported in present state"); the intent is a
      // fresh boot either way.
      return state === 'off' ? 'powerOn' : action;
  }
}

/** A one-time boot device is set only before steps that boot the machine. */
export function needsBootOverride(step: Step): boolean {
  return step === 'powerOn' || step === 'cycle' || step === 'reset';
}

export type Stage = 'read' | 'boot' | 'action';

/** What to do after a failed BMC call: try again, end with the error, or end because the action may have run. */
export type FailureVerdict = 'retry' | 'fail' | 'outcome-unknown';

/** Steps that must not run twice: a second cycle or reset cuts short the boot the first one started. */
export function isNonIdempotent(step: Step | null): boolean {
  return step === 'cycle' || step === 'reset';
}

/**
 * Retry a BMC error? Reads, boot overrides and the idempotent actions (on, off, soft-off) are retried when the error
 * is transient: a retry reads the state first and sends nothing when it is already right. A cycle/reset whose
 * request may have reached the BMC (`unanswered`: sent, no answer) is never sent again, whatever the code: the BMC
 * may have done it, and doing it twice is worse than reporting that nobody knows. One that provably never left
 * (connection refused, session set-up failed) or that the BMC refused (busy) is retried like the rest.
 */
export function afterFailure(
  step: Step | null,
  stage: Stage,
  error: { code: string; transient: boolean; unanswered: boolean },
): FailureVerdict {
  if (stage === 'action' && isNonIdempotent(step) && error.unanswered) return 'outcome-unknown';
  return error.transient ? 'retry' : 'fail';
}

/** Delay before retry `n` (1-based): base × 2^(n-1), capped at 30 s. */
export function backoffMs(n: number, baseMs: number): number {
  return Math.min(30_000, baseMs * 2 ** Math.max(0, n - 1));
}
