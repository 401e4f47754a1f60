import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TestingError, TestingErrorCode } from './errors.js';

export type ServiceProcess = {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every stdout and stderr line so far, in arrival order. */
  readonly lines: readonly string[];
  /** Resolves with the first line (already seen or future) matching `re`; rejects on timeout or exit. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM) and waits for exit; SIGKILL after graceMs. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

type Waiter = { re: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * Starts a child process (e.g. `process.execPath, ['--import', 'tsx', 'script.ts']`) capturing its output as
 * lines. The child is killed if the test process exits first.
 */
export function spawnService(
  cmd: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  opts: { cwd?: string } = {},
): ServiceProcess {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new TestingError(TestingErrorCode.spawn, `cannot start ${cmd}`);
  const lines: string[] = [];
  let waiters: Waiter[] = [];
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  const onLine = (line: string) => {
    lines.push(line);
    waiters = waiters.filter((w) => {
      const m = line.match(w.re);
      if (m === null) return true;
      clearTimeout(w.timer);
      w.resolve(m);
      return false;
    });
  };
  for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on('line', onLine);

  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      exitInfo = { code, signal };
      // Let readline flush the last lines before failing waiters.
      setImmediate(() => {
        for (const w of waiters) {
          clearTimeout(w.timer);
          w.reject(
            new TestingError(
              TestingErrorCode.spawn,
              `${cmd} exited (code ${code}, signal ${signal}) before printing ${w.re}; last lines:\n${lines.slice(-20).join('\n')}`,
            ),
          );
        }
        waiters = [];
        resolve({ code, signal });
      });
    });
  });

  return {
    child,
    pid: child.pid,
    lines,
    exited,
    waitForLine(re, timeoutMs = 10_000) {
      for (const line of lines) {
        const m = line.match(re);
        if (m !== null) return Promise.resolve(m);
      }
      if (exitInfo !== null)
        return Promise.reject(
          new TestingError(
            TestingErrorCode.spawn,
            `${cmd} already exited; last lines:\n${lines.slice(-20).join('\n')}`,
          ),
        );
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w.timer !== timer);
          reject(
            new TestingError(
              TestingErrorCode.timeout,
              `no line matching ${re} from ${cmd} within ${timeoutMs} ms; last lines:\n${lines.slice(-20).join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.push({ re, resolve, reject, timer });
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 5_000) {
      if (exitInfo !== null) return exitInfo;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
}
