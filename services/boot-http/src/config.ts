import { bool, port, text } from '@metalbus/config';
import { resolveConfig, serviceConfigSchema } from '@metalbus/runtime';
import { z } from 'zod';
import { assetsConfigShape } from './assets/index.js';
import { factoryConfigShape } from './factory/index.js';
import { scriptConfigShape } from './scripts/index.js';

export const bootHttpConfigSchema = serviceConfigSchema(
  z.object({
    HTTP_ADDRESS: text().default('0.0.0.0').describe('Address the HTTP listener binds to.'),
    HTTP_PORT: port(8080).describe(
      'TCP port of the boot HTTP listener (scripts, assets, iPXE binaries, factory cache).',
    ),
    REPLICA_NAME: text()
      .optional()
      .describe('Name of this replica in boot.script/boot.asset events. Default: the host name.'),
    DATA_DIR_SYNC: bool(false).describe(
      'At start, load DATA_DIR (profiles/, groups/, generic/) into the KV buckets, pruning keys no file provides.',
    ),
    ...scriptConfigShape,
    ...assetsConfigShape,
    ...factoryConfigShape,
  }),
  { defaultOpsPort: 9102 },
);

export type BootHttpConfig = z.output<typeof bootHttpConfigSchema>;

export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env) {
  return resolveConfig('boot-http', bootHttpConfigSchema, argv, env);
}
