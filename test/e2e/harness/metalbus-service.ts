import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2eError, E2eErrorCode } from './errors.js';
import { GrowingFile, waitForText } from './logfile.js';
import type { Netns } from './netns.js';
import { startChild, type Child } from './processes.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const METALBUS_SERVICES = ['dhcp-proxy', 'boot-http'] as const;
export type MetalbusService = (typeof METALBUS_SERVICES)[number];

/** The exact command a service runs with in production-like set-ups (`npm start`, the Dockerfile): wiring only. */
export function serviceArgv(name: MetalbusService): string[] {
  return [process.execPath, '--import', 'tsx', `services/${name}/src/main.ts`];
}

/** pino's JSON line for the runtime's "<name> ready" message (libs/runtime startService). */
function readyLine(name: MetalbusService): (text: string) => true | undefined {
  const needle = `"msg":"${name} ready"`;
  return (text) => (text.includes(needle) ? true : undefined);
}

/**
 * Start one metalbus service inside `ns` the real way: `node --import tsx services/<name>/src/main.ts` from the
 * repository root, configured only by `env` (a clean environment, so nothing leaks in from the test process).
 * Resolves once it has logged "<name> ready", i.e. connected, provisioned, listening.
 */
export async function startMetalbusService(
  ns: Netns,
  dir: string,
  name: MetalbusService,
  env: Readonly<Record<string, string>>,
): Promise<Child> {
  const log = new GrowingFile(join(dir, `${name}.log`));
  const child = await startChild({
    name,
    argv: serviceArgv(name),
    logPath: log.path,
    netns: ns.name,
    cwd: REPO_ROOT,
    env,
    cleanEnv: true,
  });
  try {
    // tsx compiles the service on first start; on a busy 2-core machine that alone can take several seconds.
    await waitForText(log, readyLine(name), { timeoutMs: 60_000, child, what: `${name} ready` });
  } catch (error) {
    await child.stop();
    throw new E2eError(E2eErrorCode.childExited, `${name} did not become ready; tail of its log:`, await log.tail(15), {
      cause: error,
    });
  }
  return child;
}
