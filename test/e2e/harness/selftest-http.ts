// Entry point of the self-test's HTTP server, run as its own process inside the namespace:
//   node --import tsx selftest-http.ts <routes.json> <port>
// routes.json maps URL paths to files ({"/boot.ipxe": "/tmp/…/boot.ipxe", …}). One JSON line per line of output:
// {"listening":8080} once bound, then {"served":"/vmlinuz","status":200,"bytes":…,"from":"10.…"} per request.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { z } from 'zod';

const [routesPath, portText] = process.argv.slice(2);
const routes = z.record(z.string(), z.string()).parse(JSON.parse(readFileSync(routesPath ?? '', 'utf8')));
const port = z.coerce.number().int().min(1).max(65535).parse(portText);

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://selftest').pathname;
  const file = routes[path];
  const done = (status: number, bytes: number): void => {
    emit({ served: path, method: req.method, status, bytes, from: req.socket.remoteAddress });
  };
  if (file === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404).end();
    done(404, 0);
    return;
  }
  const size = statSync(file).size;
  res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
  if (req.method === 'HEAD') {
    res.end();
    done(200, 0);
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res)
    .on('finish', () => done(200, size));
});

server.listen(port, '0.0.0.0', () => emit({ listening: port }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
