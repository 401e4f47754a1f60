import { existsSync } from 'node:fs';
import { request } from 'node:http';

/**
 * True when a Docker engine answers `GET /_ping` within timeoutMs, at DOCKER_HOST (unix:// or tcp://) or
 * /var/run/docker.sock. A CLI without a daemon (common in CI sandboxes) answers false quickly.
 */
export function dockerAvailable(dockerHost: string | undefined, timeoutMs = 1_000): Promise<boolean> {
  let target: { socketPath: string } | { host: string; port: number } | null = null;
  if (dockerHost !== undefined && dockerHost !== '') {
    if (dockerHost.startsWith('unix://')) target = { socketPath: dockerHost.slice('unix://'.length) };
    else if (dockerHost.startsWith('tcp://')) {
      const u = new URL(dockerHost.replace(/^tcp:/, 'http:'));
      target = { host: u.hostname, port: Number(u.port || 2375) };
    }
  } else if (existsSync('/var/run/docker.sock')) {
    target = { socketPath: '/var/run/docker.sock' };
  }
  if (target === null) return Promise.resolve(false);
  const where = target;
  return new Promise((resolve) => {
    const req = request({ ...where, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
