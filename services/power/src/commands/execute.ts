import type { BootDevice, BootFirmware, ErrorInfo, PowerAction, PowerState } from '@metalbus/events';
import { BmcError, type PowerDriver } from '../drivers/driver.js';
import {
  afterFailure,
  backoffMs,
  expectedState,
  needsBootOverride,
  planStep,
  type ResumePlan,
  type Stage,
  type Step,
} from './decide.js';
import { PowerErrorCode } from './errors.js';

export type ExecuteSettings = {
  retries: number;
  retryBackoffMs: number;
  callTimeoutMs: number;
  readbackIntervalMs: number;
};

export type ExecuteInput = {
  action: PowerAction;
  bootDevice: BootDevice | null;
  bootFirmware: BootFirmware;
  plan: ResumePlan;
  /** Epoch ms after which nothing new is started. */
  budgetEnd: number;
  /** Stop or lease loss: the command is abandoned (thrown), its phase record tells the next replica where it was. */
  signal: AbortSignal;
};

export type ExecuteDeps = {
  driver: PowerDriver;
  /** Persists the crash-safety marker; must complete before (sending) / after (sent) the action call. */
  markPhase(phase: 'sending' | 'sent'): Promise<void>;
  onBmcError(error: BmcError): void;
  settings: ExecuteSettings;
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
};

export type ExecuteResult = {
  outcome: 'ok' | 'error' | 'expired';
  error: ErrorInfo | null;
  observed: PowerState;
  attempts: number;
  /** What was sent to the BMC (none when the state already matched). */
  step: Step | null;
};

/**
 * Drives one command against one BMC: read the state, set the boot override, send the action (with the phase
 * marker around it), retry transient failures with back-off, then read back until the BMC reports the expected
 * state (IPMI BMCs often report the old state right after an action). A cycle/reset sent without an answer ends
 * as `interrupted` at once: it may have run, so it is neither repeated nor judged by a read-back (the state is `on`
 * before and after either way). Never throws a BmcError: those become the result. Throws only when `signal`
 * aborts or the phase marker cannot be written.
 */
export async function executeCommand(input: ExecuteInput, deps: ExecuteDeps): Promise<ExecuteResult> {
  const { driver, settings } = deps;
  const expected = expectedState(input.action);
  let observed: PowerState = 'unknown';
  let attempts = 0;
  let step: Step | null = null;

  const call = async <T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    input.signal.throwIfAborted();
    const ms = Math.max(1, Math.min(settings.callTimeoutMs, input.budgetEnd - deps.now()));
    try {
      return await fn(AbortSignal.any([input.signal, AbortSignal.timeout(ms)]));
    } catch (err) {
      input.signal.throwIfAborted();
      if (err instanceof BmcError) deps.onBmcError(err);
      throw err;
    }
  };
  const result = (outcome: ExecuteResult['outcome'], error: ErrorInfo | null): ExecuteResult => ({
    outcome,
    error,
    observed,
    attempts,
    step,
  });
  const bmcFailure = (err: BmcError) => result('error', { code: err.code, message: err.message });

  if (input.plan === 'interrupted' || input.plan === 'verify') {
    try {
      observed = await call((s) => driver.status(s));
    } catch (err) {
      if (!(err instanceof BmcError)) throw err;
    }
    if (input.plan === 'interrupted') {
      return result('error', {
        code: PowerErrorCode.interrupted,
        message: `the replica sending this ${input.action} stopped before the BMC answered; it may have been applied, so it is not sent again`,
      });
    }
    return expected === null || observed === expected
      ? result('ok', null)
      : result('expired', {
          code: PowerErrorCode.expired,
          message: `deadline passed while the command was interrupted; the BMC reports ${observed}, expected ${expected}`,
        });
  }

  if (input.plan === 'fresh') {
    for (;;) {
      attempts++;
      let stage: Stage = 'read';
      try {
        observed = 'unknown';
        observed = await call((s) => driver.status(s));
        step = planStep(input.action, observed);
        if (step === 'none') return result('ok', null);
        if (input.bootDevice !== null && needsBootOverride(step)) {
          stage = 'boot';
          const device = input.bootDevice;
          await call((s) => driver.setBootOnce(device, input.bootFirmware, s));
        }
        stage = 'action';
        await deps.markPhase('sending');
        const chosen = step;
        await call((s) => driver[chosen](s));
        await deps.markPhase('sent');
        break;
      } catch (err) {
        if (!(err instanceof BmcError)) throw err;
        const verdict = afterFailure(step, stage, err);
        if (verdict === 'outcome-unknown') {
          observed = 'unknown';
          return result('error', {
            code: PowerErrorCode.interrupted,
            message:
              `the ${input.action} was sent to BMC ${err.target} but no answer came back (${err.code}: ${err.detail}); ` +
              "it may or may not have been executed, so it is not sent again: check the machine's state",
          });
        }
        const delay = backoffMs(attempts, settings.retryBackoffMs);
        const retry = verdict === 'retry' && attempts <= settings.retries && deps.now() + delay < input.budgetEnd;
        if (!retry) return bmcFailure(err);
        await deps.sleep(delay, input.signal);
      }
    }
  }

  // Read-back: the action went out (now or before a crash); wait for the BMC to agree.
  const want = expected ?? observed;
  for (;;) {
    try {
      observed = await call((s) => driver.status(s));
      if (observed === want) return result('ok', null);
    } catch (err) {
      if (!(err instanceof BmcError)) throw err;
      observed = 'unknown';
      if (!err.transient) return bmcFailure(err);
    }
    if (deps.now() + settings.readbackIntervalMs >= input.budgetEnd) {
      return result('error', {
        code: PowerErrorCode.stateMismatch,
        message: `the BMC still reports ${observed} after ${input.action}, expected ${want}`,
      });
    }
    await deps.sleep(settings.readbackIntervalMs, input.signal);
  }
}
