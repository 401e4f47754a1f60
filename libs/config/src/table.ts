import type { z } from 'zod';
import { expectedHint, type ConfigSchema } from './parse.js';

export type ConfigRow = { variable: string; default: string; expected: string; description: string };

/** One row per variable: the source of `--help` and of the README configuration table. */
export function configRows(schema: ConfigSchema): ConfigRow[] {
  return Object.entries(schema.shape).map(([variable, field]) => ({
    variable,
    default: defaultOf(field),
    expected: expectedHint(field) ?? typeName(field),
    description: field.description ?? '',
  }));
}

type Def = {
  type: string;
  defaultValue?: unknown;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  entries?: Record<string, string>;
  checks?: unknown[];
};

/** The wrapped schema of a default/optional/pipe (preprocess puts the real type in `out`, transforms in `in`). */
function inner(field: z.ZodType): z.ZodType | undefined {
  const def = field.def as Def;
  if (def.innerType) return def.innerType;
  if (def.type === 'pipe') return (def.out?.def as Def | undefined)?.type === 'transform' ? def.in : def.out;
  return undefined;
}

function defaultOf(field: z.ZodType): string {
  for (let current: z.ZodType | undefined = field, depth = 0; current && depth < 8; current = inner(current), depth++) {
    const def = current.def as Def;
    if (def.type === 'default') {
      const value = typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
      return typeof value === 'string' ? value : JSON.stringify(value);
    }
    if (def.type === 'optional') return '';
  }
  return (field.def as Def).type === 'pipe' ? '' : '(required)';
}

function typeName(field: z.ZodType): string {
  let current: z.ZodType = field;
  for (let depth = 0; depth < 8; depth++) {
    const hint = expectedHint(current);
    if (hint !== undefined) return hint;
    const def = current.def as Def;
    if (def.type === 'enum' && def.entries) return `one of ${Object.values(def.entries).join(', ')}`;
    if (def.type === 'number') return 'a number';
    if (def.type === 'boolean') return 'true or false';
    if (def.type === 'string') return 'a string';
    const next = inner(current);
    if (next === undefined) break;
    current = next;
  }
  return 'see description';
}

export function renderHelp(service: string, schema: ConfigSchema): string {
  const rows = configRows(schema);
  const width = Math.max(...rows.map((r) => r.variable.length));
  const lines = rows.map(
    (r) =>
      `  ${r.variable.padEnd(width)}  ${r.description}${r.default ? ` [default: ${r.default}]` : ''} (${r.expected})`,
  );
  return `${service}: configured by environment variables\n${lines.join('\n')}\n`;
}

export function renderMarkdownTable(rows: readonly ConfigRow[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| variable | default | accepts | meaning |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| \`${r.variable}\` | ${r.default ? `\`${esc(r.default)}\`` : ''} | ${esc(r.expected)} | ${esc(r.description)} |`,
    ),
  ].join('\n');
}
