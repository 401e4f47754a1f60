import { hostname } from 'node:os';
import { createLogger, startTracing, withSpan } from '@metalbus/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function capture(level: 'info' | 'debug' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'svc',
    level,
    pretty: false,
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { logger, lines };
}

describe('createLogger', () => {
  const tracing = { shutdown: async () => undefined };
  beforeAll(() => {
    Object.assign(tracing, startTracing({ service: 'svc' }));
  });
  afterAll(() => tracing.shutdown());

  it('writes JSON with service, pid and hostname', () => {
    const { logger, lines } = capture();
    logger.info({ a: 1 }, 'hello');
    logger.debug('hidden at info');
    const [line] = lines;
    expect({ ...line, time: 0 }).toEqual({
      level: 30,
      time: 0,
      service: 'svc',
      pid: process.pid,
      hostname: hostname(),
      a: 1,
      msg: 'hello',
    });
    expect(lines.length).toBe(1);
  });

  it('redacts secrets at the top level and one level down', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        password: 'p',
        token: 't',
        cfg: { NATS_PASSWORD: 'x', NATS_NKEY_SEED: 'SU…', url: 'nats://h' },
        headers: { authorization: 'Bearer x' },
        bmc: { credentials: { user: 'admin' }, key: 'k', seed: 's' },
      },
      'secrets',
    );
    const { password, token, cfg, headers, bmc } = lines[0] as Record<string, unknown>;
    expect({ password, token, cfg, headers, bmc }).toEqual({
      password: '[redacted]',
      token: '[redacted]',
      cfg: { NATS_PASSWORD: '[redacted]', NATS_NKEY_SEED: '[redacted]', url: 'nats://h' },
      headers: { authorization: '[redacted]' },
      bmc: { credentials: '[redacted]', key: '[redacted]', seed: '[redacted]' },
    });
  });

  it('adds the active trace id to lines logged inside a span', async () => {
    const { logger, lines } = capture();
    const traceId = await withSpan('work', {}, (span) => {
      logger.info('inside');
      return span.spanContext().traceId;
    });
    logger.info('outside');
    expect(lines.map((l) => [l.msg, l.traceId])).toEqual([
      ['inside', traceId],
      ['outside', undefined],
    ]);
  });
});
