import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { OpsServerError } from './errors.js';

/** One named readiness condition, e.g. `{ name: 'nats', ok: false, detail: 'disconnected' }`. */
export type ReadinessCheck = { name: string; ok: boolean; detail?: string };
export type ReadinessReport = readonly ReadinessCheck[];

export type OpsServerOptions = {
  address: string;
  /** 0 picks a free port (tests). */
  port: number;
  registry: Registry;
  /** Called per /readyz request; must be cheap and synchronous (read flags, no I/O). */
  readiness: () => ReadinessReport;
  logger: Logger;
};

export type OpsServer = {
  /** `http://<address>:<port>` with the bound port. */
  url: string;
  close(): Promise<void>;
};

/**
 * The ops listener: `/metrics` (Prometheus text), `/healthz` (200 while the process serves requests) and
 * `/readyz` (200 when every check passes, else 503; the JSON body names each check). Plain node:http because
 * it must stay up and cheap even when the service's main listener is saturated.
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const log = opts.logger.child({ module: 'ops' });
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      log.warn({ err, path: req.url }, 'ops request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  // Scrapers reconnect per scrape; do not let idle keep-alive sockets hold close() up.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) =>
      reject(
        new OpsServerError(`ops listener cannot bind ${opts.address}:${opts.port}: ${err.message}`, { cause: err }),
      );
    server.once('error', onError);
    server.listen(opts.port, opts.address, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.address.includes(':') ? `[${opts.address}]` : opts.address;
  const url = `http://${host}:${port}`;
  log.info({ url }, 'ops listener ready');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: OpsServerOptions): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
    return;
  }
  const path = (req.url ?? '/').split('?', 1)[0];
  switch (path) {
    case '/metrics':
      send(res, 200, opts.registry.contentType, await opts.registry.metrics());
      return;
    case '/healthz':
      send(res, 200, 'application/json', '{"status":"ok"}\n');
      return;
    case '/readyz': {
      const checks = opts.readiness();
      const ready = checks.every((c) => c.ok);
      send(res, ready ? 200 : 503, 'application/json', `${JSON.stringify({ ready, checks })}\n`);
      return;
    }
    default:
      send(res, 404, 'text/plain', 'not found\n');
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
