import { text, url } from '@metalbus/config';
import { resolveConfig, serviceConfigSchema } from '@metalbus/runtime';
import { z } from 'zod';

export const omniBridgeConfigSchema = serviceConfigSchema(
  z.object({
    OMNI_ENDPOINT: url(['http:', 'https:', 'grpc:', 'grpcs:'])
      .optional()
      .describe("Omni's API endpoint (https://<account>.omni.siderolabs.io). Unset: profile mode, omni-bridge idles."),
    OMNI_SERVICE_ACCOUNT_KEY: text()
      .optional()
      .describe('The infra provider service account key (base64, from `omnictl infraprovider create`).'),
    PROVIDER_ID: text().default('bare-metal').describe('The infra provider id registered in Omni.'),
  }),
  { defaultOpsPort: 9103 },
);

export type OmniBridgeConfig = z.output<typeof omniBridgeConfigSchema>;

export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env) {
  return resolveConfig('omni-bridge', omniBridgeConfigSchema, argv, env);
}
