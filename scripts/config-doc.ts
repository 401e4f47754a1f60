import { configRows, renderMarkdownTable, type ConfigSchema } from '@metalbus/config';
import { bootHttpConfigSchema } from '../services/boot-http/src/config.js';
import { dhcpProxyConfigSchema } from '../services/dhcp-proxy/src/config.js';
import { omniBridgeConfigSchema } from '../services/omni-bridge/src/config.js';
import { powerConfigSchema } from '../services/power/src/config.js';

const SERVICES: readonly [string, ConfigSchema][] = [
  ['dhcp-proxy', dhcpProxyConfigSchema],
  ['boot-http', bootHttpConfigSchema],
  ['omni-bridge', omniBridgeConfigSchema],
  ['power', powerConfigSchema],
];

/** Service-specific variables per service, then the variables every service shares (NATS, logs, ops). */
export function configTableMarkdown(): string {
  const shared = new Map<string, number>();
  for (const [, schema] of SERVICES)
    for (const key of Object.keys(schema.shape)) shared.set(key, (shared.get(key) ?? 0) + 1);
  const common = new Set([...shared].filter(([, n]) => n === SERVICES.length).map(([k]) => k));
  const parts = SERVICES.map(([name, schema]) => {
    const rows = configRows(schema).filter((r) => !common.has(r.variable));
    return `### ${name}\n\n${renderMarkdownTable(rows)}`;
  });
  const first = SERVICES[0]![1];
  const commonRows = configRows(first)
    .filter((r) => common.has(r.variable))
    .map((r) => (r.variable === 'OPS_PORT' ? { ...r, default: '9101 / 9102 / 9103 / 9104' } : r));
  parts.push(`### every service\n\n${renderMarkdownTable(commonRows)}`);
  return parts.join('\n\n');
}

export function replaceBetweenMarkers(text: string, marker: string, body: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README.md has no ${start} … ${end} block`);
  return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}
