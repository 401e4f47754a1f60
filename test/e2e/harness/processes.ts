import { execFile, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { onEmergency } from './cleanup.js';
import { E2eError, E2eErrorCode } from './errors.js';

export type ExitInfo = { code: number | null; signal: NodeJS.Signals | null };

/** A long-running process the harness started; it is stopped by its PID, never by name. */
export type Child = {
  readonly name: string;
  readonly pid: number;
  /** stdout and stderr, interleaved. */
  readonly logPath: string;
  /** performance.now() when the process was spawned. */
  readonly startedAt: number;
  readonly exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<ExitInfo>;
};

export type StartChildOptions = {
  name: string;
  argv: readonly string[];
  logPath: string;
  /** Run inside this network namespace (`ip netns exec` execs the command, so the PID stays the command's). */
  netns?: string;
  cwd?: string;
  /** Added to the test process's environment (services take their configuration from env variables). */
  env?: Readonly<Record<string, string>>;
  /**
   * Start from an empty environment (plus PATH) instead of the test process's: a service then sees only the
   * configuration the scenario gives it, not a developer's NATS_URL/LOG_LEVEL or vitest's variables.
   */
  cleanEnv?: boolean;
};

/**
 * Wrap argv so the process dies with the test process even when that one is SIGKILLed and no handler runs:
 * setpriv sets the parent-death signal and execs, so the PID we hold is still the command's own.
 */
export function childArgv(argv: readonly string[], netns?: string): string[] {
  const guarded = ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
  return netns === undefined ? guarded : ['ip', 'netns', 'exec', netns, ...guarded];
}

export async function startChild(opts: StartChildOptions): Promise<Child> {
  const [command, ...args] = childArgv(opts.argv, opts.netns);
  const fd = openSync(opts.logPath, 'a');
  const startedAt = performance.now();
  const proc = spawn(command ?? 'setpriv', args, {
    stdio: ['ignore', fd, fd],
    cwd: opts.cwd,
    env: childEnv(opts),
  });
  closeSync(fd);
  let info: ExitInfo | undefined;
  let unregister = (): void => undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    proc.once('exit', (code, signal) => {
      info = { code, signal };
      unregister();
      resolve(info);
    });
  });
  await new Promise<void>((resolve, reject) => {
    proc.once('spawn', resolve);
    proc.once('error', (cause) =>
      reject(new E2eError(E2eErrorCode.commandFailed, `${opts.name}: could not start ${opts.argv[0]}`, '', { cause })),
    );
  });
  const pid = proc.pid;
  if (pid === undefined) throw new E2eError(E2eErrorCode.commandFailed, `${opts.name}: no pid after spawn`);
  if (info === undefined) unregister = onEmergency(`kill ${opts.name} (pid ${pid})`, () => signalPid(pid, 'SIGKILL'));

  const stop = async (graceMs = 2000): Promise<ExitInfo> => {
    if (info) return info;
    signalPid(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    const first = await Promise.race([exited, grace]);
    clearTimeout(timer);
    if (first === 'late') signalPid(pid, 'SIGKILL');
    return exited;
  };

  return { name: opts.name, pid, logPath: opts.logPath, startedAt, exited, exitInfo: () => info, stop };
}

function childEnv(opts: StartChildOptions): NodeJS.ProcessEnv | undefined {
  if (opts.cleanEnv) return { PATH: process.env['PATH'] ?? DEFAULT_PATH, ...opts.env };
  return opts.env === undefined ? undefined : { ...process.env, ...opts.env };
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Run a short command to completion; a non-zero exit is an E2eError carrying its stderr. */
export function runCommand(argv: readonly string[], input?: string): Promise<string> {
  const [command, ...args] = argv;
  return new Promise((resolve, reject) => {
    const proc = execFile(command ?? 'true', args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new E2eError(E2eErrorCode.commandFailed, `command failed: ${argv.join(' ')}`, stderr.trim(), {
            cause: error,
          }),
        );
      } else {
        resolve(stdout);
      }
    });
    if (input !== undefined) proc.stdin?.end(input);
  });
}

/** Synchronous variant for emergency cleanup and start-up probes; never throws. */
export function runCommandSync(argv: readonly string[]): { ok: boolean; stdout: string; stderr: string } {
  const [command, ...args] = argv;
  const result = spawnSync(command ?? 'true', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: result.status === 0, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? '') };
}
