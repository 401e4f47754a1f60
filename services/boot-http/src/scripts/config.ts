import { unsetIfEmpty } from '@metalbus/config';
import { z } from 'zod';
import { AGENT_ASSET_SOURCES, DISK_BOOT_METHODS, type ScriptSettings } from './settings.js';

// Config FRAGMENT of the script routes: the lead merges this shape into services/boot-http/src/config.ts, the only
// module that reads process.env. Keys are the env var names; `.describe()` feeds the README table.

// z.stringbool, not libs/config's bool(): it also accepts y/n/enabled/disabled in any case.
const flag = (description: string) => z.stringbool().default(false).describe(description);

export const scriptConfigShape = {
  ADVERTISE_URL: z
    .preprocess(
      unsetIfEmpty,
      z
        .url({ protocol: /^https?$/ })
        .transform((url) => url.replace(/\/+$/, ''))
        .optional(),
    )
    .describe(
      'Base URL machines reach this service at (http://host:port[/prefix]); used in scripts and talos.config=. Unset: the URL each request came in on (set it behind a load balancer, so factory schematics are identical on every replica).',
    ),
  DISK_BOOT_METHOD: z
    .enum(DISK_BOOT_METHODS)
    .default('exit')
    .describe(
      'How a machine whose boot intent is "disk" leaves iPXE: exit (script `exit`), sanboot (boot drive 0x80) or http-404 (an empty 404, so the firmware tries its next boot device; a chain from /boot.ipxe gets a script that exits iPXE with an error instead, to the same effect without the retry loop).',
    ),
  DEFAULT_PROFILE: z
    .preprocess(
      unsetIfEmpty,
      z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,128}$/)
        .optional(),
    )
    .describe(
      'Profile id served to machines that have no boot intent and match no group. Unset: answer 404 naming the labels seen (a chain from /boot.ipxe gets a script that exits to the firmware).',
    ),
  AGENT_ASSETS: z
    .enum(AGENT_ASSET_SOURCES)
    .default('factory')
    .describe(
      'Where agent-mode kernels come from: factory (Image Factory schematic, served through our cache) or local (kernel-<arch>, initramfs-metal-<arch>.xz and cmdline-metal-<arch> in the assets directory).',
    ),
  AGENT_TALOS_VERSION: z
    .string()
    .regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/)
    .default('v1.13.7')
    .describe('Talos version of the agent-mode factory image.'),
  AGENT_PROVIDER_ADDRESS: z
    .preprocess(unsetIfEmpty, z.string().regex(/^\S+$/, 'must not contain spaces').optional())
    .describe(
      "metal.provider.address= for the Talos metal agent: omni-bridge's agent endpoint (host:port, or https://host:port with TLS). Required to serve agent mode.",
    ),
  AGENT_TEST_MODE: flag('Add metal.provider.test.mode=1 to agent kernel arguments (QEMU test clusters).'),
  AGENT_TLS_SKIP_VERIFY: flag('Add metal.provider.tls.skip.verify=1 to agent kernel arguments.'),
  SECURE_BOOT: flag("Boot the factory's metal-<arch>-secureboot UKIs for agent and install modes."),
  BOOTSTRAP_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe(
      'Attempts of the /boot.ipxe chain loop before it exits to the firmware. Only failures (no answer, 5xx) are retried; a machine with nothing to boot exits at once.',
    ),
  BOOTSTRAP_BACKOFF_MAX_SECONDS: z.coerce
    .number()
    .int()
    .refine((n) => [1, 2, 4, 8, 16, 32, 64, 128, 256].includes(n), 'must be a power of two from 1 to 256')
    .default(32)
    .describe('Cap of the /boot.ipxe retry back-off, in seconds (it doubles from 1; a power of two).'),
  DATA_DIR: z
    .preprocess(unsetIfEmpty, z.string().min(1).optional())
    .describe(
      'Matchbox data directory (profiles/, groups/, generic/, assets/): loaded into the KV buckets at start (DATA_DIR_SYNC), and its assets/ served under /assets/ unless ASSETS_DIR is set. Unset: use what is in NATS.',
    ),
};

export const scriptConfigSchema = z.object(scriptConfigShape);
export type ScriptConfig = z.output<typeof scriptConfigSchema>;

export function scriptSettingsFromConfig(config: ScriptConfig): ScriptSettings {
  return Object.freeze({
    advertiseUrl: config.ADVERTISE_URL ?? null,
    diskBootMethod: config.DISK_BOOT_METHOD,
    defaultProfile: config.DEFAULT_PROFILE ?? null,
    agentAssets: config.AGENT_ASSETS,
    agentTalosVersion: config.AGENT_TALOS_VERSION,
    agentProviderAddress: config.AGENT_PROVIDER_ADDRESS ?? null,
    agentTestMode: config.AGENT_TEST_MODE,
    agentTlsSkipVerify: config.AGENT_TLS_SKIP_VERIFY,
    secureBoot: config.SECURE_BOOT,
    bootstrap: Object.freeze({
      attempts: config.BOOTSTRAP_ATTEMPTS,
      backoffMaxSeconds: config.BOOTSTRAP_BACKOFF_MAX_SECONDS,
    }),
  });
}
