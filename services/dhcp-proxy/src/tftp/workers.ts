// The worker-thread pool for transfers (TFTP_WORKERS > 0). The main thread keeps the listener, admission,
// metrics and callbacks; a transfer is posted to the least busy worker with its file as a SharedArrayBuffer view.
// A worker that dies fails its transfers (reported as socket errors) and is replaced.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { TftpError } from './errors.js';
import type { OnTransferEnded, TransferRunner } from './runner.js';
import type { SessionOutcome, SessionSummary, TransferJob } from './session.js';

export type SharedJob = Omit<TransferJob, 'data'> & {
  readonly shared: SharedArrayBuffer;
  readonly offset: number;
  readonly length: number;
};

export type ToWorker = { readonly type: 'run'; readonly job: SharedJob } | { readonly type: 'stop' };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'ended'; readonly id: number; readonly summary: SessionSummary }
  | { readonly type: 'stopped' };

type Slot = { worker: Worker; ready: boolean; readonly jobs: Map<number, TransferJob> };

const STOP_GRACE_MS = 2000;

/**
 * Built, the entry is worker.js. Run from source (tsx, vitest), it is worker.ts, and Node 20 does not apply
 * `--import tsx` from a worker's execArgv, so a one-line bootstrap registers tsx's loader inside the worker first.
 */
function newWorker(name: string): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { name });
  // import.meta.resolve picks tsx's ESM entry; where a test runner lacks it, the bare name resolves from the cwd.
  const tsx = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  const entry = new URL('./worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, name });
}

export function createWorkerRunner(count: number, onEnded: OnTransferEnded, logger: Logger): TransferRunner {
  const slots: Slot[] = [];
  const shared = new WeakMap<Buffer, { shared: SharedArrayBuffer; offset: number; length: number }>();
  let stopping = false;

  const share = (data: Buffer): { shared: SharedArrayBuffer; offset: number; length: number } => {
    if (data.buffer instanceof SharedArrayBuffer) {
      return { shared: data.buffer, offset: data.byteOffset, length: data.length };
    }
    let view = shared.get(data);
    if (view === undefined) {
      const buffer = new SharedArrayBuffer(data.length);
      Buffer.from(buffer).set(data);
      view = { shared: buffer, offset: 0, length: data.length };
      shared.set(data, view);
    }
    return view;
  };

  const spawn = (slot: Slot | undefined, index: number): Slot => {
    const worker = newWorker(`tftp-${index}`);
    const current: Slot = slot ?? { worker, ready: false, jobs: new Map() };
    current.worker = worker;
    current.ready = false;
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') current.ready = true;
      if (message.type !== 'ended') return;
      current.jobs.delete(message.id);
      onEnded(message.id, message.summary);
    });
    worker.on('error', (err) => logger.error({ err, worker: index }, 'tftp worker failed'));
    worker.on('exit', (code) => {
      // A worker that never became ready fails start() instead of being respawned in a loop.
      if (stopping || current.worker !== worker || !current.ready) return;
      logger.error({ code, worker: index, transfers: current.jobs.size }, 'tftp worker exited; replacing it');
      for (const [id, job] of current.jobs) onEnded(id, lostSummary(job, 'socket-error', 'transfer worker exited'));
      current.jobs.clear();
      spawn(current, index);
    });
    return current;
  };

  const waitFor = (worker: Worker, type: FromWorker['type']): Promise<void> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: FromWorker): void => {
        if (message.type !== type) return;
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number): void => {
        worker.off('message', onMessage);
        reject(new TftpError('TFTP_WORKER_FAILED', `tftp worker exited with code ${code}`));
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });

  return {
    async start() {
      stopping = false;
      for (let i = 0; i < count; i++) slots.push(spawn(undefined, i));
      await Promise.all(slots.map((s) => waitFor(s.worker, 'ready')));
    },
    run(job) {
      let slot = slots[0] as Slot;
      for (const s of slots) if (s.jobs.size < slot.jobs.size) slot = s;
      slot.jobs.set(job.id, job);
      const { data, ...rest } = job;
      const message: ToWorker = { type: 'run', job: { ...rest, ...share(data) } };
      slot.worker.postMessage(message);
    },
    async stop() {
      stopping = true;
      await Promise.all(
        slots.map(async (slot) => {
          const stopped = waitFor(slot.worker, 'stopped').catch(() => undefined);
          slot.worker.postMessage({ type: 'stop' } satisfies ToWorker);
          await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
          await slot.worker.terminate();
          // Transfers of a worker that did not answer in time are reported as stopped all the same.
          for (const [id, job] of slot.jobs) onEnded(id, lostSummary(job, 'stopped', 'server shutting down'));
          slot.jobs.clear();
        }),
      );
      slots.length = 0;
    },
  };
}

function lostSummary(job: TransferJob, outcome: SessionOutcome, message: string): SessionSummary {
  return {
    outcome,
    message,
    errorSent: false,
    size: job.data.length,
    blksize: job.negotiated.blksize,
    windowsize: job.negotiated.windowsize,
    sentBytes: 0,
    retransmits: 0,
    durationMs: 0,
    drops: { malformed: 0, 'unexpected-opcode': 0, 'duplicate-ack': 0, 'stale-ack': 0 },
  };
}
