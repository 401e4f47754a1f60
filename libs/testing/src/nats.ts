import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { dockerAvailable } from './docker.js';
import { TestingError, TestingErrorCode } from './errors.js';
import { freePort } from './ports.js';
import { spawnService, type ServiceProcess } from './spawn.js';
import { tmpDir, type TmpDir } from './tmp.js';

export type NatsMode = 'url' | 'docker' | 'spawn';

export type StartNatsOptions = {
  /** Force a mode; default: NATS_URL if set, else Docker if it answers, else a local nats-server. */
  mode?: NatsMode;
  /** Give this server a fresh namespace even when it is dedicated to the caller (always done in url mode). */
  isolate?: boolean;
  /** Image for docker mode. Default nats:2.10. */
  image?: string;
  /** nats-server binary for spawn mode. Default: PATH, then /usr/sbin, /usr/local/bin. */
  binary?: string;
  /** Directories searched after PATH for nats-server. Default: /usr/sbin, /usr/local/bin, /usr/bin. */
  searchDirs?: readonly string[];
  /** Environment to read NATS_URL, DOCKER_HOST, METALBUS_TEST_NATS (mode) and PATH from. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
};

export type NatsServer = {
  mode: NatsMode;
  url: string;
  /** Prefix for NATS_NAMESPACE: empty for a dedicated server, fresh `t<hex>` for a shared one. */
  namespace: string;
  /** For child processes: NATS_URL and NATS_NAMESPACE (when set). */
  env: Record<string, string>;
  /** The server version line, e.g. `nats-server: v2.9.10` (spawn mode), else null. */
  version: string | null;
  /** HTTP monitoring endpoint (spawn mode), else null. */
  monitorUrl: string | null;
  /** Stops and removes what this call started (nothing in url mode). */
  stop(): Promise<void>;
  /** Stops and restarts the same server (same port and store) — spawn mode only, for reconnect tests. */
  restart(): Promise<void>;
};

const INSTALL_HINT =
  'no NATS server for tests: set NATS_URL to a server with JetStream, start Docker, or install one with ' +
  '`apt-get install nats-server` (Debian/Ubuntu; puts nats-server in /usr/sbin)';

export function freshNamespace(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

/** A NATS server with JetStream for integration tests. See StartNatsOptions for how it is found. */
export async function startNats(opts: StartNatsOptions = {}): Promise<NatsServer> {
  const env = opts.env ?? process.env;
  const forced = opts.mode ?? (env['METALBUS_TEST_NATS'] as NatsMode | undefined);
  const url = env['NATS_URL'];
  if (forced === 'url' || (forced === undefined && url !== undefined && url !== '')) {
    if (url === undefined || url === '') throw new TestingError(TestingErrorCode.natsStart, 'mode url needs NATS_URL');
    const namespace = freshNamespace();
    return {
      mode: 'url',
      url,
      namespace,
      env: { NATS_URL: url, NATS_NAMESPACE: namespace },
      version: null,
      monitorUrl: null,
      stop: async () => undefined,
      restart: () =>
        Promise.reject(
          new TestingError(TestingErrorCode.restartUnsupported, 'restart() needs a spawned nats-server (url mode)'),
        ),
    };
  }
  if (forced === 'docker' || (forced === undefined && (await dockerAvailable(env['DOCKER_HOST'])))) {
    return startContainer(opts);
  }
  const binary = opts.binary ?? findNatsServer(env['PATH'] ?? '', opts.searchDirs);
  if (binary === null) throw new TestingError(TestingErrorCode.natsMissing, INSTALL_HINT);
  return startSpawned(binary, opts);
}

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/bin', '/usr/bin'] as const;

/** The first executable `nats-server` on PATH or in searchDirs (Debian installs it in /usr/sbin, not on PATH). */
export function findNatsServer(pathEnv: string, searchDirs: readonly string[] = SEARCH_DIRS): string | null {
  const dirs = [...pathEnv.split(delimiter).filter((d) => d !== ''), ...searchDirs];
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

async function startContainer(opts: StartNatsOptions): Promise<NatsServer> {
  // Loaded only in this mode: testcontainers is heavy and most runs here have no Docker.
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(opts.image ?? 'nats:2.10')
    .withCommand(['-js'])
    .withExposedPorts(4222)
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .start();
  const url = `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
  const namespace = opts.isolate ? freshNamespace() : '';
  return {
    mode: 'docker',
    url,
    namespace,
    env: { NATS_URL: url, ...(namespace && { NATS_NAMESPACE: namespace }) },
    version: null,
    monitorUrl: null,
    stop: async () => {
      await container.stop();
    },
    restart: () =>
      Promise.reject(
        new TestingError(TestingErrorCode.restartUnsupported, 'restart() needs a spawned nats-server (docker mode)'),
      ),
  };
}

async function startSpawned(binary: string, opts: StartNatsOptions): Promise<NatsServer> {
  const store: TmpDir = await tmpDir('metalbus-nats-');
  let port = 0;
  let monitorPort = 0;
  let proc: ServiceProcess | null = null;

  const launch = async () => {
    const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', store.path];
    const p = spawnService(binary, args);
    try {
      await p.waitForLine(/Server is ready/, 10_000);
    } catch (err) {
      await p.stop('SIGKILL');
      throw err;
    }
    proc = p;
  };

  // Another process may grab the ports between freePort() and the bind: retry with new ones.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    monitorPort = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 3) {
        await store.cleanup();
        throw new TestingError(
          TestingErrorCode.natsStart,
          `nats-server (${binary}) did not start: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  }
  const versionLine = (proc as ServiceProcess | null)?.lines.find((l) => /Version:/.test(l));
  const url = `nats://127.0.0.1:${port}`;
  const namespace = opts.isolate ? freshNamespace() : '';
  return {
    mode: 'spawn',
    url,
    namespace,
    env: { NATS_URL: url, ...(namespace && { NATS_NAMESPACE: namespace }) },
    version: versionLine?.replace(/^.*Version:\s*/, 'nats-server: v') ?? null,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    stop: async () => {
      const p = proc;
      proc = null;
      if (p !== null) await p.stop('SIGTERM');
      await store.cleanup();
    },
    restart: async () => {
      const p = proc;
      if (p === null) throw new TestingError(TestingErrorCode.natsStart, 'server already stopped');
      proc = null;
      await p.stop('SIGTERM');
      await launch();
    },
  };
}
