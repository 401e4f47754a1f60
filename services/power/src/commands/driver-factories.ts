import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createIpmiDriver } from '../drivers/ipmi.js';
import { createDriverChooser, createStandardFactories, type DriverChooser } from '../drivers/probe.js';
import { createIpmiTransport } from '../ipmi/transport.js';
import { parseHostPort } from '../leases/bmc-identity.js';

export type DriverSettings = {
  IPMI_PRIVILEGE: 'administrator' | 'operator';
  IPMI_BIND_ADDRESS?: string | undefined;
  REDFISH_AUTH: 'basic' | 'session';
  REDFISH_SET_BOOT_MODE: boolean;
  REDFISH_PROBE_TIMEOUT_MS: number;
};

export type BmcDrivers = { chooser: DriverChooser; close(): Promise<void> };

/**
 * The driver table of the service (STYLE 6: variants from a table): Redfish and the QEMU API from the standard
 * factories, IPMI over one UDP socket shared by every session of the process.
 */
export function createBmcDrivers(cfg: DriverSettings, deps: { logger: Logger; registry: Registry }): BmcDrivers {
  const transport = createIpmiTransport({
    ...(cfg.IPMI_BIND_ADDRESS !== undefined && { bindAddress4: cfg.IPMI_BIND_ADDRESS }),
    logger: deps.logger,
    registry: deps.registry,
  });
  const factories = createStandardFactories({
    logger: deps.logger,
    redfish: { auth: cfg.REDFISH_AUTH, setBootMode: cfg.REDFISH_SET_BOOT_MODE },
    ipmi: (bmc) => {
      const where = parseHostPort(bmc.address);
      return createIpmiDriver(
        {
          address: where.host,
          port: bmc.port !== null && bmc.port !== 0 ? bmc.port : (where.port ?? 0),
          username: bmc.username ?? '',
          password: bmc.password ?? '',
          cipherSuite: bmc.cipherSuite,
          privilege: cfg.IPMI_PRIVILEGE,
        },
        { transport, logger: deps.logger, registry: deps.registry },
      );
    },
  });
  const chooser = createDriverChooser(
    { probeTimeoutMs: cfg.REDFISH_PROBE_TIMEOUT_MS },
    { factories, logger: deps.logger },
  );
  return { chooser, close: () => transport.close() };
}
