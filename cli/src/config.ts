import { busConfigSchema } from '@metalbus/bus';
import { parseConfig } from '@metalbus/config';
import { z } from 'zod';

// The CLI reaches NATS exactly as the services do (NATS_* variables), plus the key that seals BMC passwords.
export const cliConfigSchema = z.object({
  ...busConfigSchema.shape,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
});

export function loadCliConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig('metalbus', cliConfigSchema, env);
}
