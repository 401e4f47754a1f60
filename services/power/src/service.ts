import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { bmcRecordSchema, powerRecordSchema } from '@metalbus/events';
import type { ServiceContext, ServiceHandle } from '@metalbus/runtime';
import { ensureExpiringBucket, POWER_BUCKETS, powerBucketName } from './commands/buckets.js';
import { createCommandHandler } from './commands/command-handler.js';
import { startCommandConsumer } from './commands/consumer.js';
import { createDriverPool } from './commands/driver-pool.js';
import { PowerError, PowerErrorCode } from './commands/errors.js';
import { createPowerMetrics } from './commands/metrics.js';
import { createPowerRecords } from './commands/power-records.js';
import { createRequestLog } from './commands/request-log.js';
import type { PowerConfig } from './config.js';
import { keyringFromConfig } from './credentials/keyring.js';
import { createCredentialOpener, summariseSealed } from './credentials/open-bmc.js';
import { createBmcDrivers } from './commands/driver-factories.js';
import { createLeaseStore } from './leases/bmc-leases.js';
import { createKeyedQueue } from './leases/local-queue.js';
import { createPoller, type PollResult } from './polling/poller.js';

export type PowerService = ServiceHandle & {
  /** Polls every known BMC now (tests, diagnostics). */
  pollAll(): Promise<Record<string, PollResult>>;
  readonly replica: string;
};

/**
 * power: drives BMCs for `power.requested` commands (shared durable, per-BMC leases, idempotent by requestId) and
 * polls their state. Fails at start when sealed BMC passwords exist but no key is configured.
 */
export async function createPower(ctx: ServiceContext<PowerConfig>): Promise<PowerService> {
  const { config, bus, logger, registry } = ctx;
  const log = logger.child({ module: 'power' });
  const replica = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const keyring = keyringFromConfig(config);

  const [leasesKv, requestsKv, powerKv] = await Promise.all([
    ensureExpiringBucket(bus, powerBucketName(bus.names, POWER_BUCKETS.leases), config.LEASE_TTL_S * 1000),
    ensureExpiringBucket(
      bus,
      powerBucketName(bus.names, POWER_BUCKETS.requests),
      config.REQUEST_RECORD_TTL_H * 3_600_000,
    ),
    bus.kvm.open(bus.names.bucket('power')),
  ]);

  let onBmcChange: (machineId: string, addresses: string[]) => void = () => undefined;
  const bmcs = bus.view('bmcs', bmcRecordSchema, {
    onChange: (c) =>
      onBmcChange(
        c.kvKey,
        [c.previous?.address, c.op === 'put' ? c.value.address : undefined].filter((a): a is string => a !== undefined),
      ),
  });
  const powerView = bus.view('power', powerRecordSchema);
  await Promise.all([bmcs.bootstrapped, powerView.bootstrapped]);

  const sealed = summariseSealed(bmcs.entries());
  if (sealed.sealed > 0 && keyring.size === 0) {
    await Promise.all([bmcs.stop(), powerView.stop()]);
    throw new PowerError(
      PowerErrorCode.sealKeyMissing,
      `${sealed.sealed} bmcs record(s) have sealed passwords (first: ${sealed.firstMachine}, key id ${sealed.keyIds.join(', ')}) ` +
        'but BMC_SEAL_KEY is not set: set it to the base64 key they were sealed with',
    );
  }
  const unknownKeys = sealed.keyIds.filter((id) => keyring.get(id) === undefined);
  if (unknownKeys.length > 0) {
    log.error(
      { keyIds: unknownKeys },
      'some bmcs records are sealed with keys not configured (add them to BMC_SEAL_PREVIOUS_KEY)',
    );
  }

  const metrics = createPowerMetrics(registry);
  const drivers = createBmcDrivers(config, { logger, registry });
  const pool = createDriverPool({ chooser: drivers.chooser, idleMs: config.DRIVER_IDLE_S * 1000, logger });
  onBmcChange = (machineId, addresses) => {
    // A changed record gets a fresh driver (and a fresh Redfish probe for `auto`).
    for (const address of addresses) drivers.chooser.forget(address);
    void pool.forget(machineId);
  };

  const stopping = new AbortController();
  // Every command waiting for its BMC listens on this signal; up to POWER_CONCURRENCY of them at once.
  setMaxListeners(0, stopping.signal);
  const shared = {
    bmcs,
    powerView,
    leases: createLeaseStore(leasesKv, { ttlMs: config.LEASE_TTL_S * 1000, logger }),
    queue: createKeyedQueue(),
    pool,
    opener: createCredentialOpener(keyring, logger),
    records: createPowerRecords(bus, powerKv, metrics),
    metrics,
    logger,
    replica,
    stopping: stopping.signal,
  };
  const handler = createCommandHandler({
    ...shared,
    bus,
    requests: createRequestLog(requestsKv),
    settings: {
      ackWaitMs: config.COMMAND_ACK_WAIT_S * 1000,
      leaseWaitMs: config.LEASE_WAIT_MS,
      commandTimeoutMs: config.COMMAND_TIMEOUT_MS,
      maxAgeMs: config.COMMAND_MAX_AGE_S * 1000,
      defaultFirmware: config.DEFAULT_BOOT_FIRMWARE,
      retries: config.RETRIES,
      retryBackoffMs: config.RETRY_BACKOFF_MS,
      callTimeoutMs: config.BMC_CALL_TIMEOUT_MS,
      readbackIntervalMs: config.READBACK_INTERVAL_MS,
    },
  });
  const consumer = await startCommandConsumer(bus, handler, {
    concurrency: config.POWER_CONCURRENCY,
    ackWaitMs: config.COMMAND_ACK_WAIT_S * 1000,
    logger,
  });
  const poller = createPoller({
    ...shared,
    intervalMs: config.POLL_INTERVAL_S * 1000,
    concurrency: config.POLL_CONCURRENCY,
    callTimeoutMs: config.BMC_CALL_TIMEOUT_MS,
  });
  poller.start();
  log.info(
    {
      replica,
      bmcs: bmcs.size,
      sealed: sealed.sealed,
      concurrency: config.POWER_CONCURRENCY,
      pollIntervalS: config.POLL_INTERVAL_S || 'off',
    },
    'power started',
  );

  let stopped = false;
  return {
    listening: {},
    views: [bmcs, powerView],
    readiness: () => [{ name: 'commands', ok: !stopped, ...(stopped && { detail: 'stopping' }) }],
    replica,
    pollAll: () => poller.pollAll(),
    async stop() {
      if (stopped) return;
      stopped = true;
      // Running commands are handed back (nak) with their phase recorded; another replica resumes them.
      stopping.abort(new PowerError(PowerErrorCode.stopping, 'power is stopping'));
      await poller.stop();
      await consumer.stop();
      await pool.closeAll();
      await drivers.close();
      await Promise.all([bmcs.stop(), powerView.stop()]);
    },
  };
}
