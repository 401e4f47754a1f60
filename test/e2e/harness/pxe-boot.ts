import { randomBytes } from 'node:crypto';
import { E2E_MACHINE, startQemu, type Firmware, type Machine } from './qemu.js';
import type { E2eRun } from './run.js';
import { waitForGuestReport, type GuestReport } from './serial.js';
import type { Stack, StartStack } from './stack.js';

/** The kernel argument that carries a scenario's marker: `metalbus.e2e=<marker>`. */
export const MARKER_ARG = 'metalbus.e2e';

/** A marker no other run (parallel or earlier) can print. */
export function uniqueMarker(label: string): string {
  return `${label}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * The guest's kernel arguments: console on the first serial port (where QEMU writes the log), quiet (printing
 * kernel messages over an emulated UART costs seconds under TCG), panic=-1 (a broken boot ends QEMU at once).
 */
export function guestKernelArgs(marker: string): string[] {
  return ['console=ttyS0', 'quiet', 'panic=-1', `${MARKER_ARG}=${marker}`];
}

export type StartMachineOptions<S extends Stack> = {
  startStack: StartStack<S>;
  firmware: Firmware;
  marker: string;
  assets: { kernelPath: string; initrdPath: string };
  machine?: { uuid: string; mac: string };
};

export type PxeBootOptions<S extends Stack> = StartMachineOptions<S> & { timeoutMs: number };

export type StartedMachine<S extends Stack> = { stack: S; machine: Machine };

export type PxeBootResult<S extends Stack> = StartedMachine<S> & {
  report: GuestReport;
  /** Measured, for the README and the logs; tests never assert on them. */
  timings: { qemuStartToCmdlineMs: number; guestUptimeS: number | undefined };
};

/**
 * Start `startStack` on the run's segment, then power on one network-booting machine. Both are registered with
 * the run, so `run.teardown()` stops them whatever happens next.
 */
export async function startMachine<S extends Stack>(
  run: E2eRun,
  opts: StartMachineOptions<S>,
): Promise<StartedMachine<S>> {
  const identity = opts.machine ?? E2E_MACHINE;
  const stack = await opts.startStack(run.ns, {
    runDir: run.dir,
    machine: { ...identity, firmware: opts.firmware },
    boot: { ...opts.assets, kernelArgs: guestKernelArgs(opts.marker) },
  });
  run.defer('stack', () => stack.stop());

  const machine = await startQemu(run.ns, { firmware: opts.firmware, ...identity }, run.dir);
  run.defer(`qemu ${opts.firmware}`, () => machine.qemu.stop());
  return { stack, machine };
}

/** startMachine, then wait for the command line its kernel got. */
export async function pxeBoot<S extends Stack>(run: E2eRun, opts: PxeBootOptions<S>): Promise<PxeBootResult<S>> {
  const { stack, machine } = await startMachine(run, opts);
  const { report, seenAt } = await waitForGuestReport(machine.serialPath, machine.qemu, opts.timeoutMs);
  return {
    stack,
    machine,
    report,
    timings: { qemuStartToCmdlineMs: Math.round(seenAt - machine.qemu.startedAt), guestUptimeS: report.uptimeS },
  };
}
