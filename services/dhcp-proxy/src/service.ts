import { hostname } from 'node:os';
import { createKvWriter } from '@metalbus/bus';
import { BUCKETS, machineRecordSchema } from '@metalbus/events';
import type { ServiceContext, ServiceHandle } from '@metalbus/runtime';
import { Counter } from 'prom-client';
import { createAttribution } from './attribution.js';
import type { DhcpProxyConfig } from './config.js';
import { createDhcpServer, dhcpSettingsFromConfig } from './dhcp/index.js';
import { createDiscovery } from './discovery.js';
import {
  createBootFiles,
  createTftpServer,
  loadBootFiles,
  toTftpOptions,
  type BootFiles,
  type TransferCompleted,
} from './tftp/index.js';

/** dhcp-proxy: ProxyDHCP on 67/4011 and TFTP for the first-stage iPXE binaries; events after every reply. */
export async function createDhcpProxy(ctx: ServiceContext<DhcpProxyConfig>): Promise<ServiceHandle> {
  const { config, bus, logger, registry } = ctx;
  const settings = dhcpSettingsFromConfig(config);
  const tftpOptions = toTftpOptions(config);
  const machines = bus.view(BUCKETS.machines, machineRecordSchema);
  const discovery = createDiscovery({
    bus,
    kv: createKvWriter(bus),
    machines,
    debounceMs: settings.debounceMs,
    registry,
    logger,
  });
  const attribution = createAttribution({ machines });
  const replica = hostname();
  const unattributed = new Counter({
    name: 'metalbus_dhcp_proxy_tftp_unattributed_total',
    help: 'Finished TFTP transfers whose peer could not be matched to a machine (no boot.asset event)',
    registers: [registry],
  });

  const dhcp = createDhcpServer({
    mode: settings.mode,
    interfaceName: settings.interfaceName,
    advertiseAddress: settings.advertiseAddress,
    listenAddress: settings.listenAddress,
    ports: settings.ports,
    httpPort: settings.httpPort,
    bootFiles: settings.bootFiles,
    overrides: settings.overrides,
    logger,
    registry,
    onServed: (fact) => {
      attribution.remember(fact.clientAddress, fact.machineId);
      discovery.served(fact);
    },
    onObserved: (fact) => attribution.remember(fact.clientAddress, fact.machineId),
  });

  const listening: Record<string, string> = {};
  const started = await dhcp.start();
  for (const a of started.addresses) listening[`dhcp:${a.port}`] = `udp://${a.address}:${a.port}`;

  let tftp: ReturnType<typeof createTftpServer> | null = null;
  if (tftpOptions.enabled) {
    const files = await loadBootFiles({
      dir: tftpOptions.ipxeDir,
      maxFileBytes: tftpOptions.maxFileBytes,
      maxTotalBytes: tftpOptions.maxTotalBytes,
    });
    for (const s of files.skipped) logger.warn({ file: s.name, reason: s.reason }, 'iPXE file not served over TFTP');
    logger.info({ dir: tftpOptions.ipxeDir, files: files.names(), bytes: files.totalBytes }, 'iPXE binaries loaded');
    const published = (t: TransferCompleted) => {
      void attribution.machineOf(t.peer.address).then((machineId) => {
        if (machineId === null) {
          unattributed.inc();
          return;
        }
        bus.tryPublish('boot.asset', {
          schema: 1,
          machineId,
          at: new Date().toISOString(),
          transport: 'tftp',
          path: t.file,
          kind: 'ipxe',
          status: 0,
          bytes: t.bytes,
          range: null,
          durationMs: t.durationMs,
          cacheHit: null,
          source: 'ipxe',
          replica,
          remoteAddress: t.peer.address,
        });
      });
    };
    tftp = createTftpServer({
      ...tftpOptions,
      files: withArm64Aliases(files),
      registry,
      logger,
      onTransferComplete: published,
    });
    const bound = await tftp.start();
    listening['tftp'] = `udp://${bound.address}:${bound.port}`;
  }

  return {
    listening,
    views: [machines],
    stop: async () => {
      await Promise.all([dhcp.stop(), tftp?.stop()]);
      await machines.stop();
    },
  };
}

/**
 * The arm64 builds live in IPXE_DIR/arm64/; DHCP hands arm64 firmware the distinct names `ipxe-arm64.efi` and
 * `snponly-arm64.efi` (DHCP_BOOTFILE_ARM64), so those names are served from the subfolder too.
 */
function withArm64Aliases(files: BootFiles): BootFiles {
  const entries: (readonly [string, Buffer])[] = [];
  for (const name of files.names()) {
    const file = files.get(name);
    if (file !== undefined) entries.push([name, file.data]);
  }
  for (const [alias, target] of [
    ['ipxe-arm64.efi', 'arm64/ipxe.efi'],
    ['snponly-arm64.efi', 'arm64/snponly.efi'],
  ] as const) {
    const file = files.get(target);
    if (file !== undefined && files.get(alias) === undefined) entries.push([alias, file.data]);
  }
  return createBootFiles(entries);
}
