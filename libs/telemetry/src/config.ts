import { oneOf, port, text, url } from '@metalbus/config';
import { z } from 'zod';

/** pino's level names; `silent` turns logging off (tests, benchmarks). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The telemetry part of a service's env schema. Keys are the env var names; a service merges it into its own
 * schema (`z.object({ ...telemetryConfigSchema({ defaultOpsPort: 9102 }).shape, ...busConfigSchema.shape })`).
 * The ops port default differs per service so that `npm start` can run the whole stack on one host.
 */
export function telemetryConfigSchema(opts: { defaultOpsPort: number }) {
  return z.object({
    LOG_LEVEL: oneOf(LOG_LEVELS, 'info').describe('Log level; `silent` turns logging off.'),
    OTEL_EXPORTER_OTLP_ENDPOINT: url()
      .optional()
      .describe(
        'OTLP/HTTP collector base URL (e.g. http://otel:4318); traces go to <url>/v1/traces. Unset: no export.',
      ),
    OTEL_SERVICE_NAME: text()
      .optional()
      .describe('Service name reported in traces. Default: the metalbus service name.'),
    OPS_PORT: port(opts.defaultOpsPort).describe('TCP port of the ops listener (/metrics, /healthz, /readyz).'),
    OPS_ADDRESS: text().default('0.0.0.0').describe('Address the ops listener binds to.'),
  });
}

export type TelemetryConfig = z.infer<ReturnType<typeof telemetryConfigSchema>>;
