// Last-resort teardown when the test process ends before a run's own teardown does: process 'exit' (a test
// timeout, an uncaught error), SIGINT (Ctrl-C) or SIGTERM (vitest stopping its workers). Only synchronous work is
// possible there, so each entry is a synchronous function (spawnSync, process.kill).
//
// This is process-wide state on purpose: signals and 'exit' are process-wide. Entries run newest first, so the
// processes started inside a namespace are killed before the namespace is deleted.

export type EmergencyCleanup = () => void;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const entries = new Map<number, { label: string; run: EmergencyCleanup }>();
let nextId = 1;
let installed = false;

/** Register `run` to happen if the process ends first; call the returned function once it is no longer needed. */
export function onEmergency(label: string, run: EmergencyCleanup): () => void {
  install();
  const id = nextId++;
  entries.set(id, { label, run });
  return () => {
    entries.delete(id);
  };
}

/** Labels of what is still registered: a test asserts this is empty after its run's teardown. */
export function pendingEmergencies(): string[] {
  return [...entries.values()].map((e) => e.label);
}

function runAll(): void {
  const all = [...entries.entries()].reverse();
  entries.clear();
  for (const [, entry] of all) {
    try {
      entry.run();
    } catch {
      // Best effort: one failing step must not keep the others from running.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  process.removeListener(signal, onSignal);
  // Our listener replaced the default action (exit). If nobody else handles the signal, let it act as usual.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
