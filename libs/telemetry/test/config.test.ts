import { parseConfig } from '@metalbus/config';
import { telemetryConfigSchema } from '@metalbus/telemetry';
import { describe, expect, it } from 'vitest';

describe('telemetryConfigSchema', () => {
  const schema = telemetryConfigSchema({ defaultOpsPort: 9102 });

  it('has defaults, with the per-service ops port', () => {
    const r = parseConfig('svc', schema, {});
    expect(r.ok && r.config).toEqual({ LOG_LEVEL: 'info', OPS_PORT: 9102, OPS_ADDRESS: '0.0.0.0' });
  });

  it('parses every variable', () => {
    const r = parseConfig('svc', schema, {
      LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
      OTEL_SERVICE_NAME: 'boot-http-a',
      OPS_PORT: '0',
      OPS_ADDRESS: '127.0.0.1',
    });
    expect(r.ok && r.config).toEqual({
      LOG_LEVEL: 'debug',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
      OTEL_SERVICE_NAME: 'boot-http-a',
      OPS_PORT: 0,
      OPS_ADDRESS: '127.0.0.1',
    });
  });

  it('names every bad variable', () => {
    const r = parseConfig('svc', schema, { LOG_LEVEL: 'loud', OPS_PORT: '70000', OTEL_EXPORTER_OTLP_ENDPOINT: 'otel' });
    expect(r.ok ? [] : r.error.issues.map((i) => i.variable).sort()).toEqual([
      'LOG_LEVEL',
      'OPS_PORT',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    ]);
  });

  it('describes every variable', () => {
    expect(
      Object.entries(schema.shape)
        .filter(([, f]) => !f.description)
        .map(([k]) => k),
    ).toEqual([]);
  });
});
