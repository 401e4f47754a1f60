import type { Group } from '@metalbus/events';
import { goSprint, type JsonValue } from './go-format.js';
import { normalizeLabel, type ParsedLabels } from './labels.js';
import { compareBytes } from './select.js';

// The data Matchbox renders templates and /metadata from (`collectVariables`): the group's metadata, overlaid with
// its selectors (keys lower-cased), plus the reserved `request` = { query: <labels>, raw_query: <raw query> },
// which replaces any `request` key of the metadata.

export type TemplateData = Record<string, JsonValue>;

export function collectVariables(group: Group, request: ParsedLabels): TemplateData {
  const data = Object.create(null) as TemplateData;
  for (const [key, value] of Object.entries(group.metadata)) data[key] = value as JsonValue;
  for (const [key, value] of Object.entries(group.selector))
    data[key.toLowerCase()] = normalizeLabel(key, value) ?? value;
  const query = Object.create(null) as Record<string, JsonValue>;
  for (const [key, value] of Object.entries(request.labels)) query[key] = value;
  data['request'] = { query, raw_query: request.rawQuery };
  return data;
}

/**
 * Matchbox `/metadata`: the variables as `KEY=value` lines, nested keys joined with `_` and upper-cased
 * (`{"etcd":{"name":"n1"}}` → `ETCD_NAME=n1`). Like Matchbox, only strings, booleans, numbers and objects are
 * written (arrays and nulls are skipped). Matchbox writes in Go's random map order; we sort the lines.
 */
export function renderMetadata(data: TemplateData): string {
  const lines: string[] = [];
  flatten('', data, lines);
  lines.sort(compareBytes);
  return lines.map((line) => `${line}\n`).join('');
}

function flatten(prefix: string, object: Record<string, JsonValue>, out: string[]): void {
  for (const [key, value] of Object.entries(object)) {
    const name = prefix + key;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out.push(`${name.toUpperCase()}=${goSprint(value)}`);
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      flatten(`${name}_`, value, out);
    }
  }
}
