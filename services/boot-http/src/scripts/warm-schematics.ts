import type { FastifyBaseLogger } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { ViewChange } from '@metalbus/bus';
import type { Arch, BootIntent } from '@metalbus/events';
import { decideIpxe } from './decide.js';
import type { RequestHints } from './request-hints.js';
import type { FactoryPort, ScriptSettings } from './settings.js';
import type { ScriptState } from './state.js';

// Creating a schematic is the one step of /ipxe that waits on the network (the Image Factory, seconds when it is
// slow). A boot intent is usually written before its machine asks for a script, so when the `boot-intents` view
// reports one that will need a schematic, the same decision the route would make is made in the background and
// ensureSchematic is called with its inputs: the schematic client remembers the id by content, and the route then
// answers without a POST. Warming is best effort: a failure is logged and counted, and the route simply asks again.

export type WarmSchematicsOptions = {
  /** The live state the route decides on (read when warming, so the latest intent and join config are used). */
  state: ScriptState;
  settings: ScriptSettings;
  factory: FactoryPort;
  /** Base URL and arch of each machine's last /ipxe request (used when ADVERTISE_URL is unset / for the arch). */
  hints: RequestHints;
  logger: Pick<FastifyBaseLogger, 'warn' | 'debug'>;
  registry: Registry;
  /** Machines waiting to be warmed; past it a put is dropped (counted). */
  maxPending?: number;
};

export type WarmResult = 'warmed' | 'skipped' | 'failed' | 'dropped';

/** An onChange handler for the `boot-intents` view; `idle()` resolves once nothing is being warmed (tests). */
export type SchematicWarmer = ((change: ViewChange<BootIntent>) => void) & { idle(): Promise<void> };

const ARCHES: readonly Arch[] = ['amd64', 'arm64'];
const NO_CMDLINES: ReadonlyMap<Arch, string> = new Map();

export function warmSchematics(opts: WarmSchematicsOptions): SchematicWarmer {
  const { state, settings, factory, hints, logger } = opts;
  const maxPending = opts.maxPending ?? 10_000;
  const counter = new Counter({
    name: 'metalbus_boot_http_schematic_warm_total',
    help: 'Schematics created ahead of /ipxe from boot-intents puts, by result: warmed, skipped (not needed or no base URL known), failed, dropped (queue full).',
    labelNames: ['result'],
    registers: [opts.registry],
  });
  const count = (result: WarmResult) => counter.inc({ result });
  // Machine ids in arrival order; a machine put twice before it is warmed is warmed once, with its latest intent.
  const pending = new Set<string>();
  let running: Promise<void> | null = null;

  const warmOne = async (machineId: string): Promise<void> => {
    const hint = hints.get(machineId);
    const base = settings.advertiseUrl ?? hint?.base ?? hints.lastBase();
    if (base === null) {
      count('skipped');
      logger.debug({ machineId }, 'schematic not warmed: no ADVERTISE_URL and no request seen yet');
      return;
    }
    // The route maps a missing arch label to amd64, so a known machine has one arch; an unknown one may have either.
    for (const arch of hint === undefined ? ARCHES : [hint.arch]) {
      const facts = { machineId, mac: null, arch, reportedArch: arch };
      const decision = decideIpxe({ labels: {}, facts, base, localCmdlines: NO_CMDLINES }, state, settings);
      if (decision.kind !== 'factory' || decision.schematicId !== null) {
        count('skipped');
        continue;
      }
      try {
        await factory.ensureSchematic(decision.schematic);
        count('warmed');
      } catch (err) {
        count('failed');
        logger.warn({ machineId, arch, err }, 'schematic warm-up failed; /ipxe will ask the image factory itself');
      }
    }
  };

  const drain = async (): Promise<void> => {
    for (const machineId of pending) {
      pending.delete(machineId);
      try {
        await warmOne(machineId);
      } catch (err) {
        // decideIpxe throws only when a view is broken: the route will answer 500 for it too.
        count('failed');
        logger.warn({ machineId, err }, 'schematic warm-up failed');
      }
    }
  };

  const onChange = (change: ViewChange<BootIntent>): void => {
    if (change.op !== 'put' || !needsSchematic(change.value, settings)) return;
    if (!pending.has(change.value.machineId) && pending.size >= maxPending) {
      count('dropped');
      return;
    }
    pending.add(change.value.machineId);
    kick();
  };
  // One drain at a time; a put that lands while a drain is finishing starts the next one.
  const kick = (): void => {
    if (running !== null || pending.size === 0) return;
    running = drain().finally(() => {
      running = null;
      kick();
    });
  };
  const idle = async (): Promise<void> => {
    while (running !== null) await running;
  };
  return Object.assign(onChange, { idle });
}

/** Intents whose /ipxe answer will create a factory schematic (decide.ts decideIntent). */
function needsSchematic(intent: BootIntent, settings: ScriptSettings): boolean {
  if (intent.cordoned || intent.rejected || intent.schematicId !== null) return false;
  if (intent.mode === 'install') return true;
  return intent.mode === 'agent' && settings.agentAssets === 'factory';
}
