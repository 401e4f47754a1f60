import type { Bus } from '@metalbus/bus';

/** What every CLI command gets: a connected bus (opened on first use) and the output streams. */
export type CliContext = {
  /** Connects on first call (NATS_* variables, like the services) and reuses the connection. */
  bus(): Promise<Bus>;
  out(line: string): void;
  err(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves on Ctrl-C, for commands that follow live data. */
  interrupted: Promise<void>;
};

export type Command = {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code: 0 ok, 1 failure, 2 usage error. */
  run(argv: string[], ctx: CliContext): Promise<number>;
};

/** A usage error: printed with the command's usage line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'usage';
}
