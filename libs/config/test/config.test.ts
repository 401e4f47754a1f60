import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bool, configRows, jsonStringMap, oneOf, parseConfig, port, renderMarkdownTable, url } from '@metalbus/config';

const schema = z.object({
  HTTP_PORT: port(8080).describe('where boot-http listens'),
  DHCP_MODE: oneOf(['both', '4011-only', 'off'], 'both').describe('which ports answer'),
  FACTORY_URL: url().default('https://factory.talos.dev').describe('Image Factory base URL'),
  TFTP_ENABLED: bool(true).describe('serve TFTP'),
  OVERRIDES: jsonStringMap().optional().describe('per-MAC boot files'),
  NATS_PASSWORD: z.string().min(12).optional().describe('password'),
});

describe('parseConfig', () => {
  it('applies defaults and converts types', () => {
    const result = parseConfig('test', schema, { HTTP_PORT: '9000', TFTP_ENABLED: 'no', DHCP_MODE: '' });
    expect(result).toEqual({
      ok: true,
      config: { HTTP_PORT: 9000, DHCP_MODE: 'both', FACTORY_URL: 'https://factory.talos.dev', TFTP_ENABLED: false },
    });
    if (result.ok) expect(Object.isFrozen(result.config)).toBe(true);
  });

  it('names every bad variable and what was expected, in one line', () => {
    const result = parseConfig('boot-http', schema, {
      HTTP_PORT: '70000',
      DHCP_MODE: 'sometimes',
      OVERRIDES: '[1]',
      NATS_PASSWORD: 'short',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.issues.map((i) => i.variable)).toEqual([
      'HTTP_PORT',
      'DHCP_MODE',
      'OVERRIDES',
      'NATS_PASSWORD',
    ]);
    expect(result.error.message).not.toContain('\n');
    expect(result.error.message).toContain('HTTP_PORT is "70000", expected a port number 0-65535');
    expect(result.error.message).toContain('DHCP_MODE is "sometimes", expected one of both, 4011-only, off');
    expect(result.error.message).toContain('OVERRIDES is "[1]", expected a JSON object of string values');
    // Secrets never appear, even when wrong.
    expect(result.error.message).toContain('NATS_PASSWORD is "<redacted>"');
    expect(result.error.message).not.toContain('short');
  });

  it('reports a missing required variable', () => {
    const required = z.object({ OMNI_ENDPOINT: url() });
    const result = parseConfig('omni-bridge', required, {});
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.error.message).toBe(
        'omni-bridge: invalid configuration: OMNI_ENDPOINT is missing, expected a URL (http, https)',
      );
  });
});

describe('configRows', () => {
  it('documents every variable from the schema', () => {
    const rows = configRows(schema);
    expect(rows.map((r) => [r.variable, r.default])).toEqual([
      ['HTTP_PORT', '8080'],
      ['DHCP_MODE', 'both'],
      ['FACTORY_URL', 'https://factory.talos.dev'],
      ['TFTP_ENABLED', 'true'],
      ['OVERRIDES', ''],
      ['NATS_PASSWORD', ''],
    ]);
    const table = renderMarkdownTable(rows);
    expect(table.split('\n')[2]).toBe('| `HTTP_PORT` | `8080` | a port number 0-65535 | where boot-http listens |');
  });
});
