import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTracing, withSpan } from '@metalbus/telemetry';
import { describe, expect, it } from 'vitest';

describe('tracing with an OTLP endpoint', () => {
  it('exports spans to <endpoint>/v1/traces on shutdown', async () => {
    const received: { path: string | undefined; bytes: number }[] = [];
    const collector = createServer((req: IncomingMessage, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        received.push({ path: req.url, bytes });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const { port } = collector.address() as AddressInfo;
    const tracing = startTracing({ service: 'otlp-test', otlpEndpoint: `http://127.0.0.1:${port}` });
    await withSpan('exported', { k: 'v' }, async () => undefined);
    await tracing.shutdown();
    collector.close();
    expect(received.map((r) => r.path)).toEqual(['/v1/traces']);
    expect(received[0]?.bytes).toBeGreaterThan(0);
  });
});
