import { bool, nonNegativeInt, oneOf, positiveInt, text } from '@metalbus/config';
import { resolveConfig, serviceConfigSchema } from '@metalbus/runtime';
import { DEFAULT_SEAL_KEY_ID, parseSealKey } from '@metalbus/secrets';
import { z } from 'zod';
import { parseKeyList } from './credentials/keyring.js';

const sealKey = () =>
  z
    .string()
    .refine((s) => parseSealKey(s).ok)
    .meta({ expected: 'base64 of 32 random bytes (openssl rand -base64 32)' });

const keyList = () =>
  z
    .string()
    .refine((s) => parseKeyList(s).ok)
    .meta({ expected: 'comma-separated <key id>:<base64 of 32 bytes>' });

export const powerConfigSchema = serviceConfigSchema(
  z.object({
    BMC_SEAL_KEY: sealKey()
      .optional()
      .describe(
        'AES-256-GCM key that opens sealed BMC passwords in `bmcs` records. Required as soon as one record is sealed.',
      ),
    BMC_SEAL_KEY_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .meta({ expected: '1-64 of A-Z a-z 0-9 . _ -' })
      .default(DEFAULT_SEAL_KEY_ID)
      .describe('Id of BMC_SEAL_KEY, stored in every secret sealed with it (key rotation).'),
    BMC_SEAL_PREVIOUS_KEY: keyList()
      .optional()
      .describe('Keys replaced by BMC_SEAL_KEY, still accepted for opening: `<id>:<base64>[,<id>:<base64>…]`.'),
    POWER_CONCURRENCY: positiveInt(64, 'commands').describe(
      'Fleet-wide bound of power commands in progress (max_ack_pending of the shared durable consumer).',
    ),
    COMMAND_TIMEOUT_MS: positiveInt(120_000, 'ms').describe(
      'Budget of one command: retries and the state read-back included (a command deadline can shorten it).',
    ),
    BMC_CALL_TIMEOUT_MS: positiveInt(20_000, 'ms').describe(
      'Deadline of one BMC call (status, action, boot override).',
    ),
    RETRIES: nonNegativeInt(3, 'attempts').describe(
      'Retries of a command after a transient BMC error (busy, unreachable, timeout).',
    ),
    RETRY_BACKOFF_MS: positiveInt(1_000, 'ms').describe('First retry delay; doubles per retry, capped at 30 s.'),
    READBACK_INTERVAL_MS: positiveInt(1_000, 'ms').describe(
      'Pause between state reads while waiting for the BMC to report the state an action should produce.',
    ),
    COMMAND_MAX_AGE_S: positiveInt(3_600, 's').describe(
      'A command without a deadline that is older than this when taken is answered `expired` (stale after an outage).',
    ),
    COMMAND_ACK_WAIT_S: positiveInt(30, 's').describe(
      'Redelivery delay of a command whose replica died (working commands are kept alive).',
    ),
    LEASE_TTL_S: positiveInt(15, 's').describe(
      'Lifetime of a per-BMC lease without heartbeat (a killed replica blocks its BMCs this long at most).',
    ),
    LEASE_WAIT_MS: nonNegativeInt(2_000, 'ms').describe(
      'How long a command waits for a BMC lease held elsewhere before handing the command back (nak).',
    ),
    REQUEST_RECORD_TTL_H: positiveInt(24, 'h').describe(
      'How long a command outcome is kept for idempotency (a duplicate requestId within it is replayed).',
    ),
    DEFAULT_BOOT_FIRMWARE: oneOf(['uefi', 'bios'], 'uefi').describe(
      'Firmware mode of a one-time boot override when the command names a boot device but no firmware.',
    ),
    POLL_INTERVAL_S: nonNegativeInt(30, 's').describe(
      'Interval of power state polls per BMC (±10 % jitter); 0 turns polling off.',
    ),
    POLL_CONCURRENCY: positiveInt(16, 'polls').describe('Polls running at once in this replica.'),
    REDFISH_AUTH: oneOf(['basic', 'session'], 'basic').describe(
      'Redfish authentication: `basic` (stateless) or `session` (X-Auth-Token, deleted after use).',
    ),
    REDFISH_SET_BOOT_MODE: bool(true).describe(
      'Send BootSourceOverrideMode (UEFI/Legacy) with one-time boot overrides (retried without when refused).',
    ),
    REDFISH_PROBE_TIMEOUT_MS: positiveInt(3_000, 'ms').describe(
      'Deadline of the Redfish probe that picks the driver for `auto` records.',
    ),
    IPMI_PRIVILEGE: oneOf(['administrator', 'operator'], 'administrator').describe(
      'Privilege level requested for IPMI sessions (operator suffices for chassis control).',
    ),
    IPMI_BIND_ADDRESS: text().optional().describe('Local IPv4 address of the shared IPMI UDP socket. Default: all.'),
    DRIVER_IDLE_S: positiveInt(60, 's').describe('A BMC connection/session unused this long is closed.'),
  }),
  { defaultOpsPort: 9104 },
);

export type PowerConfig = z.output<typeof powerConfigSchema>;

export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env) {
  return resolveConfig('power', powerConfigSchema, argv, env);
}
