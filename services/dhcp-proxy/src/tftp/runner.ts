// Where transfers run. The server admits requests on its thread and hands accepted transfers to a runner:
// the local one runs them on the same thread; the worker pool (workers.ts) spreads them over worker threads so
// that bulk sending uses more than one core and stays off the thread that answers DHCP.
import type { Session, SessionSummary, TransferJob } from './session.js';
import { startSession } from './session.js';

export type TransferRunner = {
  start(): Promise<void>;
  run(job: TransferJob): void;
  /** Stops every running transfer (each reports 'stopped'), then releases the runner's resources. */
  stop(): Promise<void>;
};

export type OnTransferEnded = (id: number, summary: SessionSummary) => void;

export function createLocalRunner(onEnded: OnTransferEnded): TransferRunner {
  const sessions = new Map<number, Session>();
  return {
    start: async () => undefined,
    run(job) {
      sessions.set(
        job.id,
        startSession(job, (summary) => {
          sessions.delete(job.id);
          onEnded(job.id, summary);
        }),
      );
    },
    async stop() {
      await Promise.all([...sessions.values()].map((s) => s.stop()));
    },
  };
}
