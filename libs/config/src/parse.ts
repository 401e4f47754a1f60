import type { z } from 'zod';

export type ConfigShape = Record<string, z.ZodType>;
export type ConfigSchema<S extends ConfigShape = ConfigShape> = z.ZodObject<S>;

export type ConfigIssue = { variable: string; expected: string; received: string | null };

/** Every bad variable, in one value: the caller prints it as one line and stops. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid-config';
  readonly issues: readonly ConfigIssue[];

  constructor(service: string, issues: readonly ConfigIssue[]) {
    super(
      `${service}: invalid configuration: ` +
        issues
          .map(
            (i) =>
              `${i.variable} ${i.received === null ? 'is missing' : `is ${JSON.stringify(redactIfSecret(i.variable, i.received))}`}, expected ${i.expected}`,
          )
          .join('; '),
    );
    this.issues = issues;
  }
}

const SECRET_NAME = /PASSWORD|TOKEN|SECRET|SEED|KEY$|_KEY_|CREDENTIAL/i;

function redactIfSecret(variable: string, value: string): string {
  return SECRET_NAME.test(variable) ? '<redacted>' : value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

/**
 * Parse environment variables with a zod object whose keys are the variable names. Empty strings count as unset
 * so `FOO=` falls back to the default, as shells and compose files commonly produce them.
 */
export function parseConfig<S extends ConfigShape>(
  service: string,
  schema: ConfigSchema<S>,
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: Readonly<z.output<ConfigSchema<S>>> } | { ok: false; error: ConfigError } {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, config: Object.freeze(result.data) };
  const issues = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(config)');
    return {
      variable,
      expected: describeExpected(schema.shape[variable], issue.message),
      received: input[variable] ?? null,
    };
  });
  return { ok: false, error: new ConfigError(service, dedupe(issues)) };
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => (seen.has(i.variable) ? false : (seen.add(i.variable), true)));
}

function describeExpected(field: z.ZodType | undefined, fallback: string): string {
  const description = field?.description;
  const hint = field === undefined ? undefined : expectedHint(field);
  return hint ?? (description ? `${fallback} (${description})` : fallback);
}

/** A short human description of the accepted values, taken from the schema itself. */
export function expectedHint(field: z.ZodType): string | undefined {
  // `.default()`, `.optional()` and `.describe()` wrap or clone the field; look through the wrappers.
  let current: z.ZodType | undefined = field;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    const expected = current.meta()?.['expected'];
    if (typeof expected === 'string') return expected;
    const def = current.def as { innerType?: z.ZodType; in?: z.ZodType };
    current = def.innerType ?? def.in;
  }
  return undefined;
}
