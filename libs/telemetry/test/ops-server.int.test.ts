import { createLogger, createRegistry, startOpsServer, type ReadinessReport } from '@metalbus/telemetry';
import { describe, expect, it } from 'vitest';

describe('ops server', () => {
  it('serves /metrics, /healthz and /readyz (503 until every check passes)', async () => {
    let natsOk = false;
    const registry = createRegistry('boot-http');
    const ops = await startOpsServer({
      address: '127.0.0.1',
      port: 0,
      registry,
      logger: createLogger({ service: 'boot-http', level: 'silent', pretty: false }),
      readiness: (): ReadinessReport => [
        { name: 'nats', ok: natsOk, ...(!natsOk && { detail: 'disconnected' }) },
        { name: 'view:boot-intents', ok: true },
      ],
    });
    try {
      expect(ops.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const metrics = await fetch(`${ops.url}/metrics`);
      const text = await metrics.text();
      expect([metrics.status, metrics.headers.get('content-type')]).toEqual([200, registry.contentType]);
      expect(text).toContain('# TYPE metalbus_boot_http_process_cpu_user_seconds_total counter');

      const health = await fetch(`${ops.url}/healthz`);
      expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);

      const notReady = await fetch(`${ops.url}/readyz`);
      expect([notReady.status, await notReady.json()]).toEqual([
        503,
        {
          ready: false,
          checks: [
            { name: 'nats', ok: false, detail: 'disconnected' },
            { name: 'view:boot-intents', ok: true },
          ],
        },
      ]);
      natsOk = true;
      const ready = await fetch(`${ops.url}/readyz`);
      expect([ready.status, await ready.json()]).toEqual([
        200,
        {
          ready: true,
          checks: [
            { name: 'nats', ok: true },
            { name: 'view:boot-intents', ok: true },
          ],
        },
      ]);

      const other = await Promise.all([
        fetch(`${ops.url}/nope`),
        fetch(`${ops.url}/healthz`, { method: 'POST' }),
        fetch(`${ops.url}/readyz`, { method: 'HEAD' }),
      ]);
      expect(other.map((r) => r.status)).toEqual([404, 405, 200]);
    } finally {
      await ops.close();
    }
  });

  it('fails with a typed error when the port is taken', async () => {
    const logger = createLogger({ service: 'x', level: 'silent', pretty: false });
    const first = await startOpsServer({
      address: '127.0.0.1',
      port: 0,
      registry: createRegistry('x'),
      logger,
      readiness: () => [],
    });
    try {
      const port = Number(new URL(first.url).port);
      await expect(
        startOpsServer({ address: '127.0.0.1', port, registry: createRegistry('y'), logger, readiness: () => [] }),
      ).rejects.toMatchObject({
        name: 'OpsServerError',
        code: 'ops-listen-failed',
      });
    } finally {
      await first.close();
    }
  });
});
