import type { BusConfig } from '@metalbus/bus';
import type { TelemetryConfig } from '@metalbus/telemetry';
import type { ConfigOutcome } from './config.js';
import { startService, type ServiceContext, type ServiceHandle } from './service.js';
import { stopOnSignals } from './signals.js';

/** The process edge, passed in by main.ts so that library code never touches `process` itself. */
export type ProcessEdge = {
  write(stream: 'stdout' | 'stderr', text: string): void;
  exit(code: number): void;
};

/**
 * Everything a service's main.ts does after reading its config: help or config errors → print and exit;
 * otherwise start, log "ready", and stop cleanly on SIGTERM/SIGINT. A start-up failure (e.g. NATS unreachable)
 * is one line on stderr and exit code 1.
 */
export async function runMain<C extends BusConfig & TelemetryConfig>(
  name: string,
  outcome: ConfigOutcome<C>,
  create: (ctx: ServiceContext<C>) => Promise<ServiceHandle>,
  edge: ProcessEdge,
): Promise<void> {
  if (outcome.action === 'exit') {
    edge.write(outcome.stream, outcome.text);
    edge.exit(outcome.code);
    return;
  }
  try {
    const running = await startService({ name, config: outcome.config, create });
    stopOnSignals(running, edge.exit);
  } catch (err) {
    edge.write('stderr', `${name}: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    edge.exit(1);
  }
}
