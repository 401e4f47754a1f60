import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findNatsServer } from '@metalbus/testing';
import { E2eError, E2eErrorCode } from './errors.js';
import { GrowingFile, waitForText } from './logfile.js';
import type { Netns } from './netns.js';
import { startChild, type Child } from './processes.js';

/** Port of the namespace's own NATS server; the namespace is private, so the well-known port is free. */
export const NATS_PORT = 4222;

export type NatsInNetns = {
  readonly child: Child;
  /** For services inside the namespace. */
  readonly innerUrl: string;
  /** For the test process in the host namespace, through the run's uplink. */
  readonly uplinkUrl: string;
};

/** The nats-server binary (Debian puts it in /usr/sbin, often not on a user's PATH), or null. */
export function natsServerBinary(): string | null {
  return findNatsServer('');
}

/**
 * A JetStream nats-server inside `ns`, listening on every address of the namespace so services (loopback) and
 * the test process (uplink) both reach it. Resolves once it says it is ready.
 */
export async function startNatsInNetns(ns: Netns, dir: string): Promise<NatsInNetns> {
  if (ns.uplink === undefined) {
    throw new E2eError(E2eErrorCode.badConfig, 'the metalbus stack needs a run created with { uplink: true }');
  }
  const binary = natsServerBinary();
  if (binary === null) throw new E2eError(E2eErrorCode.commandFailed, 'nats-server is not installed');
  const store = join(dir, 'nats-store');
  await mkdir(store, { recursive: true });
  const log = new GrowingFile(join(dir, 'nats.log'));
  const child = await startChild({
    name: 'nats-server',
    argv: [binary, '-a', '0.0.0.0', '-p', String(NATS_PORT), '-js', '-sd', store, '-n', `mbe2e-${ns.runId}`],
    logPath: log.path,
    netns: ns.name,
    cleanEnv: true,
  });
  try {
    await waitForText(log, (t) => (t.includes('Server is ready') ? true : undefined), {
      timeoutMs: 15_000,
      child,
      what: 'nats-server ready',
    });
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    child,
    innerUrl: `nats://127.0.0.1:${NATS_PORT}`,
    uplinkUrl: `nats://${ns.subnet.uplink.ns}:${NATS_PORT}`,
  };
}
