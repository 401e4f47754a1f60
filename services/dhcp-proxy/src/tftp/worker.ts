// Worker-thread entry of the transfer pool (workers.ts): runs the transfers it is handed on its own event loop.
// File contents arrive as SharedArrayBuffer views, so no file is copied into the worker.
import { parentPort } from 'node:worker_threads';
import { createLocalRunner } from './runner.js';
import type { FromWorker, ToWorker } from './workers.js';

const port = parentPort;
if (port === null) throw new Error('tftp/worker.ts must run as a worker thread');

const post = (message: FromWorker): void => port.postMessage(message);
const runner = createLocalRunner((id, summary) => post({ type: 'ended', id, summary }));

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') {
    const { shared, offset, length, ...job } = message.job;
    runner.run({ ...job, data: Buffer.from(shared, offset, length) });
  } else {
    void runner.stop().then(() => post({ type: 'stopped' }));
  }
});
post({ type: 'ready' });
