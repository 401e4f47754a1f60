import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stopChild, waitForPort } from './proc.js';

export interface Nginx {
  readonly child: ChildProcess;
  readonly url: string;
  /** Worker pids (the master only accepts; workers do the serving). */
  workerPids(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * Debian nginx with a throwaway config on a loopback port, as in anchor-figures.md section 2: sendfile, no access
 * log, keep-alive without limits, `worker_processes` 1 or auto. Runs in the foreground (`daemon off`) as our child.
 */
export async function startNginx(opts: {
  dir: string;
  root: string;
  port: number;
  workers: '1' | 'auto';
}): Promise<Nginx> {
  const dir = join(opts.dir, `nginx-${opts.workers}`);
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const conf = [
    // Workers of a root master drop to `nobody` unless told otherwise; the files are in our private temp dir.
    asRoot ? 'user root;' : '',
    `worker_processes ${opts.workers};`,
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log;`,
    'events { worker_connections 4096; }',
    'http {',
    '  access_log off;',
    '  sendfile on;',
    '  tcp_nopush on;',
    '  keepalive_requests 1000000;',
    '  keepalive_timeout 75s;',
    '  default_type application/octet-stream;',
    '  types { text/plain txt; }',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/tmp;`),
    `  server { listen 127.0.0.1:${opts.port}; root ${opts.root}; }`,
    '}',
    '',
  ].join('\n');
  const confPath = join(dir, 'nginx.conf');
  await writeFile(confPath, conf);
  const child = spawn('nginx', ['-c', confPath, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`nginx exited ${code}: ${stderr}`))),
  );
  exited.catch(() => undefined);
  await Promise.race([waitForPort(opts.port), exited]);
  return {
    child,
    url: `http://127.0.0.1:${opts.port}`,
    async workerPids() {
      try {
        const kids = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8');
        return kids.trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        return [];
      }
    },
    stop: () => stopChild(child),
  };
}
