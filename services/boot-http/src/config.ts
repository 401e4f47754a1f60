import { join } from 'node:path';
import { bool, port, text } from '@metalbus/config';
import { resolveConfig, serviceConfigSchema } from '@metalbus/runtime';
import { z } from 'zod';
import { assetsConfigShape, DEFAULT_ASSETS_DIR } from './assets/index.js';
import { factoryConfigShape } from './factory/index.js';
import { scriptConfigShape } from './scripts/index.js';
import { trustProxyField } from './trust-proxy.js';

export const bootHttpConfigSchema = serviceConfigSchema(
  z.object({
    HTTP_ADDRESS: text().default('0.0.0.0').describe('Address the HTTP listener binds to.'),
    HTTP_PORT: port(8080).describe(
      'TCP port of the boot HTTP listener (scripts, assets, iPXE binaries, factory cache).',
    ),
    REPLICA_NAME: text()
      .optional()
      .describe('Name of this replica in boot.script/boot.asset events. Default: the host name.'),
    DATA_DIR_SYNC: bool(true).describe(
      'When DATA_DIR is set, load it (profiles/, groups/, generic/) into the KV buckets at start, pruning keys no file ' +
        'provides. false: DATA_DIR only supplies the default ASSETS_DIR; the buckets keep what is in NATS.',
    ),
    TRUST_PROXY: trustProxyField().describe(
      'Whose X-Forwarded-For/-Proto/-Host to believe for the client address (events, asset attribution), scheme ' +
        'and host: false = nobody, the TCP peer is the client; true = anyone (only behind a proxy that ' +
        'overwrites those headers); or a comma-separated list of proxy addresses or CIDRs (also loopback, ' +
        'linklocal, uniquelocal), e.g. 10.0.0.5,192.0.2.0/24.',
    ),
    ...scriptConfigShape,
    ...assetsConfigShape,
    ...factoryConfigShape,
  }),
  { defaultOpsPort: 9102 },
);

export type BootHttpConfig = z.output<typeof bootHttpConfigSchema>;

/** ASSETS_DIR, else Matchbox's `<DATA_DIR>/assets`, else the packaged default. */
export function assetsDirOf(config: Pick<BootHttpConfig, 'ASSETS_DIR' | 'DATA_DIR'>): string {
  return config.ASSETS_DIR ?? (config.DATA_DIR === undefined ? DEFAULT_ASSETS_DIR : join(config.DATA_DIR, 'assets'));
}

export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env) {
  return resolveConfig('boot-http', bootHttpConfigSchema, argv, env);
}
