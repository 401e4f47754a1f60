import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { E2eConfig } from './config.js';
import { createNetns, type Netns, type NetnsOptions } from './netns.js';

/**
 * One scenario's scope: a namespace, a folder for configs and logs, and everything started in between, stopped
 * newest first at teardown. The process-exit/signal safety net (cleanup.ts) covers a teardown that never comes.
 */
export type E2eRun = {
  readonly ns: Netns;
  readonly dir: string;
  /** Register a stop to run at teardown; stops run newest first. */
  defer(label: string, stop: () => Promise<unknown>): void;
  /**
   * Stop everything, delete the namespace. The folder is removed when `passed` (unless METALBUS_E2E_KEEP) and
   * kept, with its path printed, otherwise. Resolves with the kept folder, if any.
   */
  teardown(passed: boolean): Promise<string | undefined>;
};

export async function createRun(config: E2eConfig, label: string, opts: NetnsOptions = {}): Promise<E2eRun> {
  const dir = await mkdtemp(join(tmpdir(), `metalbus-e2e-${label}-`));
  let ns: Netns;
  try {
    ns = await createNetns(opts);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const stops: { label: string; stop: () => Promise<unknown> }[] = [];
  let tornDown = false;

  return {
    ns,
    dir,
    defer: (what, stop) => {
      stops.push({ label: what, stop });
    },
    teardown: async (passed) => {
      if (tornDown) return undefined;
      tornDown = true;
      const failures: string[] = [];
      for (const { label: what, stop } of stops.reverse()) {
        try {
          await stop();
        } catch (error) {
          failures.push(`${what}: ${String(error)}`);
        }
      }
      await ns.destroy();
      const keep = !passed || failures.length > 0 || config.METALBUS_E2E_KEEP;
      if (!keep) {
        await rm(dir, { recursive: true, force: true });
        return undefined;
      }
      console.warn(`[e2e] run ${ns.runId} (${label}): logs, serial console and configs kept in ${dir}`);
      if (failures.length > 0) console.warn(`[e2e] teardown problems:\n  ${failures.join('\n  ')}`);
      return dir;
    },
  };
}
