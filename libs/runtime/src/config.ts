import { busConfigSchema } from '@metalbus/bus';
import { parseConfig, renderHelp, type ConfigSchema, type ConfigShape } from '@metalbus/config';
import { telemetryConfigSchema } from '@metalbus/telemetry';
import { z } from 'zod';

/** The env schema every service shares (NATS, logging, tracing, ops listener), merged with its own fields. */
export function serviceConfigSchema<S extends ConfigShape>(own: ConfigSchema<S>, opts: { defaultOpsPort: number }) {
  return z.object({
    ...own.shape,
    ...busConfigSchema.shape,
    ...telemetryConfigSchema({ defaultOpsPort: opts.defaultOpsPort }).shape,
  });
}

export type ConfigOutcome<T> =
  { action: 'run'; config: T } | { action: 'exit'; code: number; stream: 'stdout' | 'stderr'; text: string };

/**
 * What main.ts should do with its arguments and environment: print help, stop on a bad variable (one line
 * naming it, exit code 2), or run. main.ts does the printing and exiting, so this stays testable.
 */
export function resolveConfig<S extends ConfigShape>(
  service: string,
  schema: ConfigSchema<S>,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigOutcome<Readonly<z.output<ConfigSchema<S>>>> {
  if (argv.includes('--help') || argv.includes('-h')) {
    return { action: 'exit', code: 0, stream: 'stdout', text: renderHelp(service, schema) };
  }
  const parsed = parseConfig(service, schema, env);
  if (!parsed.ok) return { action: 'exit', code: 2, stream: 'stderr', text: `${parsed.error.message}\n` };
  return { action: 'run', config: parsed.config };
}
