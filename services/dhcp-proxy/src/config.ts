import { resolveConfig, serviceConfigSchema } from '@metalbus/runtime';
import { z } from 'zod';
import { dhcpConfigSchema } from './dhcp/index.js';
import { tftpConfigSchema } from './tftp/index.js';

export const dhcpProxyConfigSchema = serviceConfigSchema(
  z.object({ ...dhcpConfigSchema.shape, ...tftpConfigSchema.shape }),
  { defaultOpsPort: 9101 },
);

export type DhcpProxyConfig = z.output<typeof dhcpProxyConfigSchema>;

export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env) {
  return resolveConfig('dhcp-proxy', dhcpProxyConfigSchema, argv, env);
}
