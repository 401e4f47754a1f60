import { connectBus, provision, type Bus } from '@metalbus/bus';
import { createLogger } from '@metalbus/telemetry';
import { UsageError, type CliContext, type Command } from './command.js';
import { bmcCommand } from './commands/bmc.js';
import { eventsCommand } from './commands/events.js';
import { kvCommand } from './commands/kv.js';
import { loadCommand } from './commands/load.js';
import { powerCommand } from './commands/power.js';
import { loadCliConfig } from './config.js';

const COMMANDS: readonly Command[] = [eventsCommand, kvCommand, loadCommand, powerCommand, bmcCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'metalbus: trace and steer metalbus through NATS (NATS_URL and the other NATS_* variables select the server)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "metalbus <command> --help shows a command's usage.",
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code; the process edge stays in bin/metalbus.js. */
export async function runCli(argv: string[], io: { out(l: string): void; err(l: string): void }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    io.err(`metalbus: unknown command ${name}\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: ${command.usage}\n${command.summary}`);
    return 0;
  }
  const config = loadCliConfig();
  if (!config.ok) {
    io.err(config.error.message);
    return 2;
  }
  let bus: Bus | null = null;
  let connecting: Promise<Bus> | null = null;
  let onInterrupt: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => (onInterrupt = resolve));
  const sigint = () => onInterrupt();
  process.once('SIGINT', sigint);
  const ctx: CliContext = {
    bus: () =>
      (connecting ??= connectBus(config.config, {
        name: `metalbus-cli-${command.name}`,
        logger: createLogger({ service: 'metalbus', level: config.config.LOG_LEVEL }),
      }).then(async (b) => {
        bus = b;
        // Idempotent: the CLI may be the first thing to touch a fresh server (e.g. `metalbus load` before start).
        await provision(b);
        return b;
      })),
    out: io.out,
    err: io.err,
    env: process.env,
    interrupted,
  };
  try {
    return await command.run(rest, ctx);
  } catch (err) {
    if (
      err instanceof UsageError ||
      (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.err(`metalbus ${command.name}: ${err.message}\nusage: ${command.usage}`);
      return 2;
    }
    io.err(`metalbus ${command.name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    process.off('SIGINT', sigint);
    if (bus !== null) await (bus as Bus).drain().catch(() => undefined);
  }
}
