import { bool, parseConfig, path, positiveInt } from '@metalbus/config';
import { z } from 'zod';
import { E2eError, E2eErrorCode } from './errors.js';

// The harness's only reader of process.env, like a service's src/config.ts: keys are the variable names.
export const e2eConfigSchema = z.object({
  METALBUS_E2E_CACHE: path()
    .default('/var/cache/metalbus-e2e')
    .describe('Folder with vmlinuz and initrd.cpio.gz, as .ci/e2e-assets.sh prepares them'),
  METALBUS_E2E_KEEP: bool(false).describe(
    'Keep every run folder (serial log, service logs, configs); failed runs are always kept',
  ),
  METALBUS_E2E_BOOT_TIMEOUT_S: positiveInt(90, 'seconds').describe(
    'How long one machine may take from QEMU start to printing its kernel command line',
  ),
  METALBUS_E2E_CAPTURE: bool(false).describe(
    'Capture DHCP/ProxyDHCP/TFTP on the bridge with tcpdump into metalbus/capture.pcap of each metalbus run',
  ),
});
export type E2eConfig = Readonly<z.output<typeof e2eConfigSchema>>;

export function loadE2eConfig(): E2eConfig {
  const parsed = parseConfig('e2e harness', e2eConfigSchema, process.env);
  if (!parsed.ok) throw new E2eError(E2eErrorCode.badConfig, parsed.error.message, '', { cause: parsed.error });
  return parsed.config;
}
