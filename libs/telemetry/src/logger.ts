import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { currentTraceId } from './tracing.js';

export type { Logger } from 'pino';

/**
 * Paths whose values never reach a log line. Top-level and one level down (`{ cfg: { password } }`), plus the
 * env names of the NATS secrets so a logged config object is safe. Code logging KV keys uses `kvKey`, not `key`.
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  'pass',
  'token',
  'authorization',
  'key',
  'privateKey',
  'apiKey',
  'seed',
  'credentials',
  'NATS_PASSWORD',
  'NATS_TOKEN',
  'NATS_NKEY_SEED',
]
  .flatMap((p) => [p, `*.${p}`])
  .concat(['headers.authorization', 'req.headers.authorization']);

export type LoggerOptions = {
  service: string;
  level: LogLevel;
  /** Human-readable output through pino-pretty. Default: only when stdout is a TTY. */
  pretty?: boolean;
  /** Where JSON lines go (tests pass a memory stream). Default: stdout. Ignored when pretty. */
  destination?: DestinationStream;
};

/** The one pino logger of a process; modules get children (`logger.child({ module: 'dhcp' })`). */
export function createLogger(opts: LoggerOptions): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  const options = {
    level: opts.level,
    base: { service: opts.service, pid: process.pid, hostname: hostname() },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    // Correlates log lines with traces; costs one AsyncLocalStorage lookup per line.
    mixin: () => {
      const traceId = currentTraceId();
      return traceId === undefined ? {} : { traceId };
    },
  };
  if (pretty) {
    // pino-pretty runs in pino's transport worker, so it is loaded only when wanted.
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
