import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createKvWriter, provision, type Bus } from '@metalbus/bus';
import { bootIntentSchema, BUCKETS } from '@metalbus/events';
import { startDnsmasq } from './dnsmasq.js';
import type { EventRecorder } from './events.js';
import {
  ASSET_PATHS,
  diskIntent,
  machineGroup,
  omniKernelArgs,
  PROFILE_ID,
  profileArgs,
  talosProfile,
  writeBootData,
} from './metalbus-data.js';
import { startMetalbusService } from './metalbus-service.js';
import { connectTestBus, recordMachineEvents } from './nats-events.js';
import { startNatsInNetns } from './nats-server.js';
import type { Child } from './processes.js';
import type { Stack, StartStack } from './stack.js';
import { startCapture } from './tcpdump.js';

// The stack under test: the site's DHCP server (dnsmasq, addresses only), NATS, and metalbus's dhcp-proxy
// (ProxyDHCP + TFTP) and boot-http, all inside the run's namespace and started the way an operator starts them.
// The test process reaches NATS through the run's uplink: it records `machine.>` and, for Omni-mode scenarios,
// writes the boot intent omni-bridge would.

export const HTTP_PORT = 8080;
/**
 * First stage for UEFI firmware that is not iPXE yet. Debian's `snponly.efi` (iPXE over the firmware's SNP
 * driver) is the stand-in for Omni's `snp.efi`; Debian's `ipxe.efi` also boots but starts ~4 s slower under TCG
 * (reference/pxe-e2e.md, table and section 10).
 */
export const UEFI_FIRST_STAGE = 'snponly.efi';
export const IPXE_DIR = '/usr/lib/ipxe';

export type MetalbusStackOptions = {
  /** Omni mode: a `boot-intents` record for the machine, written before boot-http starts. */
  bootIntent?: 'disk';
  /** Capture DHCP/TFTP on the bridge into `capture.pcap` (kept with the run folder). */
  capture?: boolean;
  /** DHCP_BOOTFILE_UEFI_X64 for dhcp-proxy (a file in IPXE_DIR). Default UEFI_FIRST_STAGE. */
  uefiFirstStage?: string;
};

export type MetalbusStack = Stack & {
  readonly events: EventRecorder;
  /** The test's own NATS connection (through the uplink). */
  readonly bus: Bus;
  /** boot-http as the test process reaches it (through the uplink). */
  readonly uplinkHttpBase: string;
  /** What the profile hands out: the exact kernel arguments and the group selecting it. */
  readonly profile: { readonly id: string; readonly groupId: string; readonly args: readonly string[] };
  readonly assetPaths: typeof ASSET_PATHS;
  /** The boot file dhcp-proxy gives a client that already runs iPXE. */
  readonly scriptUrl: string;
  /** How long the stack took to come up (namespace excluded), for the logs. */
  readonly startMs: number;
};

export function metalbusStack(options: MetalbusStackOptions = {}): StartStack<MetalbusStack> {
  return async (ns, opts) => {
    const t0 = performance.now();
    const dir = join(opts.runDir, 'metalbus');
    await mkdir(dir, { recursive: true });
    const server = ns.subnet.server;
    const httpBase = `http://${server}:${HTTP_PORT}`;
    const args = profileArgs(omniKernelArgs(server, `e2e-join-${ns.runId}`), opts.boot.kernelArgs);
    const group = machineGroup(opts.machine.uuid);
    const { dataDir, assetsDir } = await writeBootData(dir, opts.boot, { profile: talosProfile(args), group });

    // Everything started so far, stopped newest first, also when a later step fails.
    const stops: { what: string; stop: () => Promise<unknown> }[] = [];
    const stopAll = async (): Promise<void> => {
      const errors: unknown[] = [];
      for (const { stop } of stops.splice(0).reverse()) await stop().catch((e: unknown) => errors.push(e));
      if (errors.length > 0) throw new AggregateError(errors, 'metalbus stack: stopping failed');
    };
    const child = (c: Child, graceMs = 2000): Child => {
      stops.push({ what: c.name, stop: () => c.stop(graceMs) });
      return c;
    };

    try {
      if (options.capture) child(await startCapture(ns, join(dir, 'capture.pcap')));
      const nats = await startNatsInNetns(ns, dir);
      child(nats.child);
      const bus = await connectTestBus(nats.uplinkUrl);
      stops.push({ what: 'test bus', stop: () => bus.drain() });
      const events = await recordMachineEvents(bus);
      stops.push({ what: 'event recorder', stop: () => events.stop() });
      if (options.bootIntent === 'disk') {
        // The test plays omni-bridge, the bucket's owner: provision as every service does, then write.
        await provision(bus);
        const intent = bootIntentSchema.parse(diskIntent(opts.machine.uuid, new Date()));
        await createKvWriter(bus).put(BUCKETS.bootIntents, opts.machine.uuid, intent);
      }

      child(await startDnsmasq(ns, dir, { kind: 'addresses' }));
      const common = { NATS_URL: nats.innerUrl, HTTP_PORT: String(HTTP_PORT), LOG_LEVEL: 'debug' };
      const started = await Promise.allSettled([
        startMetalbusService(ns, dir, 'dhcp-proxy', {
          ...common,
          DHCP_INTERFACE: ns.bridge,
          ADVERTISE_ADDRESS: server,
          IPXE_DIR,
          DHCP_BOOTFILE_UEFI_X64: options.uefiFirstStage ?? UEFI_FIRST_STAGE,
        }),
        startMetalbusService(ns, dir, 'boot-http', {
          ...common,
          HTTP_ADDRESS: '0.0.0.0',
          ASSETS_DIR: assetsDir,
          DATA_DIR: dataDir,
          DATA_DIR_SYNC: 'true',
          IPXE_DIR,
          CACHE_DIR: join(dir, 'factory-cache'),
          REPLICA_NAME: `e2e-${ns.runId}`,
        }),
      ]);
      // Services drain NATS on SIGTERM: give them longer than the default grace.
      for (const s of started) if (s.status === 'fulfilled') child(s.value, 5000);
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;

      return {
        httpBase,
        uplinkHttpBase: `http://${ns.subnet.uplink.ns}:${HTTP_PORT}`,
        events,
        bus,
        profile: { id: PROFILE_ID, groupId: group.id, args },
        assetPaths: ASSET_PATHS,
        scriptUrl: `${httpBase}/boot.ipxe`,
        startMs: Math.round(performance.now() - t0),
        logFiles: ['nats.log', 'dnsmasq.log', 'dhcp-proxy.log', 'boot-http.log'].map((f) => join(dir, f)),
        stop: stopAll,
      };
    } catch (error) {
      await stopAll().catch(() => undefined);
      throw error;
    }
  };
}
