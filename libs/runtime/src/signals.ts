import type { RunningService } from './service.js';

/**
 * Stop on SIGTERM/SIGINT within `graceMs` (default 5 s, what orchestrators wait before SIGKILL): a clean stop
 * exits 0, a stop that overruns exits 1. A second signal exits at once.
 */
export function stopOnSignals(
  running: RunningService,
  exit: (code: number) => void,
  opts: { graceMs?: number; signals?: readonly NodeJS.Signals[] } = {},
): void {
  const graceMs = opts.graceMs ?? 5_000;
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      running.logger.warn({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    received = true;
    running.logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      running.logger.error({ graceMs }, 'stop took too long: exiting');
      exit(1);
    }, graceMs);
    timer.unref();
    running.stop().then(
      () => {
        clearTimeout(timer);
        running.logger.info('stopped');
        exit(0);
      },
      (err: unknown) => {
        running.logger.error({ err }, 'stop failed');
        exit(1);
      },
    );
  };
  for (const s of opts.signals ?? ['SIGTERM', 'SIGINT']) process.on(s, onSignal);
}
