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

function defaultOf(field: z.ZodType): string {
  const def = field.def as { type: string; defaultValue?: unknown; innerType?: z.ZodType };
  if (def.type === 'default') {
    const value = typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (def.type === 'optional' || def.type === 'pipe') return '';
  return '(required)';
}

function typeName(field: z.ZodType): string {
  const def = field.def as { type: string; innerType?: z.ZodType };
  if ((def.type === 'default' || def.type === 'optional') && def.innerType) return typeName(def.innerType);
  return def.type;
}

export function renderHelp(service: string, schema: ConfigSchema): string {
  const rows = configRows(schema);
  const width = Math.max(...rows.map((r) => r.variable.length));
  const lines = rows.map(
    (r) => `  ${r.variable.padEnd(width)}  ${r.description}${r.default ? ` [default: ${r.default}]` : ''} (${r.expected})`,
  );
  return `${service}: configured by environment variables\n${lines.join('\n')}\n`;
}

export function renderMarkdownTable(rows: readonly ConfigRow[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| variable | default | accepts | meaning |',
    '|---|---|---|---|',
    ...rows.map((r) => `| \`${r.variable}\` | ${r.default ? `\`${esc(r.default)}\`` : ''} | ${esc(r.expected)} | ${esc(r.description)} |`),
  ].join('\n');
}
