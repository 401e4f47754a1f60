import { z } from 'zod';
import {
  archSchema,
  bootDeviceSchema,
  bootFirmwareSchema,
  errorInfoSchema,
  firmwareSchema,
  macSchema,
  machineIdSchema,
  powerActionSchema,
  powerOutcomeSchema,
  powerStateSchema,
  timestampSchema,
} from './common.js';

// Schemas of the KV records (ARCHITECTURE.md "State"). Each bucket has one writer; every reader validates.

/** `machines` — owner dhcp-proxy: what the PXE edge learned about a machine. */
export const machineRecordSchema = z.object({
  machineId: machineIdSchema,
  uuid: z.string().nullable(),
  macs: z.array(macSchema).min(1).max(64),
  arch: archSchema,
  firmware: firmwareSchema,
  clientArch: z.number().int().nullable(),
  lastAddress: z.string().nullable(),
  relay: z.string().nullable(),
  interface: z.string().nullable(),
  firstSeen: timestampSchema,
  lastSeen: timestampSchema,
});
export type MachineRecord = z.infer<typeof machineRecordSchema>;

/** `boot-intents` — owner omni-bridge: what Omni wants the machine to boot next. */
export const bootIntentSchema = z.object({
  machineId: machineIdSchema,
  /** agent: the Talos metal agent; install: Talos from PXE (maintenance mode); disk: boot from the local disk. */
  mode: z.enum(['agent', 'install', 'disk']),
  talosVersion: z.string().min(1).nullable().default(null),
  /** Omni's system extensions for the install schematic (`siderolabs/…`). */
  extensions: z.array(z.string().min(1)).default([]),
  /** The user's extra kernel args (Omni's `extra_kernel_args`, already split on whitespace). */
  extraKernelArgs: z.array(z.string()).default([]),
  /** A schematic id omni-bridge already created; boot-http creates one from the fields above when null. */
  schematicId: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable()
    .default(null),
  secureBoot: z.boolean().default(false),
  cordoned: z.boolean().default(false),
  rejected: z.boolean().default(false),
  updatedAt: timestampSchema,
});
export type BootIntent = z.infer<typeof bootIntentSchema>;
export type BootIntentInput = z.input<typeof bootIntentSchema>;

/** `profiles` — Matchbox's profile JSON format, unchanged (extra fields are kept). */
export const profileSchema = z.looseObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ -'),
  name: z.string().optional(),
  ignition_id: z.string().optional(),
  cloud_id: z.string().optional(),
  generic_id: z.string().optional(),
  boot: z
    .object({
      kernel: z.string().min(1),
      initrd: z.array(z.string().min(1)).default([]),
      args: z.array(z.string()).default([]),
    })
    .optional(),
});
export type Profile = z.infer<typeof profileSchema>;

/** `groups` — Matchbox's group JSON format: a selector picks a profile; metadata feeds templates. */
export const groupSchema = z.looseObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ -'),
  name: z.string().optional(),
  profile: z.string().min(1),
  selector: z.record(z.string(), z.string()).default({}),
  metadata: z.record(z.string(), z.unknown()).default({}),
});
export type Group = z.infer<typeof groupSchema>;

/** `templates` — Matchbox `generic/` (and similar) template files, keyed by file name; owner: the CLI/loader. */
export const templateRecordSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
  body: z.string().max(1024 * 1024),
  updatedAt: timestampSchema,
});
export type TemplateRecord = z.infer<typeof templateRecordSchema>;

/** A sealed secret (AES-256-GCM); see the power service's credential helper. */
export const sealedSecretSchema = z.object({
  sealed: z.literal('aes-256-gcm'),
  keyId: z.string().min(1),
  iv: z.string().min(1),
  tag: z.string().min(1),
  data: z.string(),
});
export type SealedSecret = z.infer<typeof sealedSecretSchema>;
const secretSchema = z.union([sealedSecretSchema, z.object({ plain: z.string() })]);

/** `bmcs` — owner omni-bridge or the CLI: how to reach the machine's BMC. */
export const bmcRecordSchema = z.object({
  machineId: machineIdSchema,
  driver: z.enum(['auto', 'ipmi', 'redfish', 'api']).default('auto'),
  address: z.string().min(1),
  port: z.number().int().min(0).max(65535).nullable().default(null),
  username: z.string().nullable().default(null),
  password: secretSchema.nullable().default(null),
  /** Redfish: verify TLS (default) unless explicitly insecure; optional PEM CA. */
  insecure: z.boolean().default(false),
  caPem: z.string().nullable().default(null),
  /** Redfish system to drive when the BMC has several; defaults to the machine's UUID. */
  systemId: z.string().nullable().default(null),
  /** IPMI cipher suite (3 or 17); null = negotiate. */
  cipherSuite: z
    .union([z.literal(3), z.literal(17)])
    .nullable()
    .default(null),
  updatedAt: timestampSchema,
});
export type BmcRecord = z.infer<typeof bmcRecordSchema>;
export type BmcRecordInput = z.input<typeof bmcRecordSchema>;

/** `power` — owner power: last observed state and last command outcome. */
export const powerRecordSchema = z.object({
  machineId: machineIdSchema,
  state: powerStateSchema,
  observedAt: timestampSchema,
  driver: z.string().nullable(),
  lastCommand: z
    .object({
      requestId: z.string(),
      action: powerActionSchema,
      bootDevice: bootDeviceSchema.nullable(),
      bootFirmware: bootFirmwareSchema.nullable(),
      outcome: powerOutcomeSchema,
      error: errorInfoSchema.nullable(),
      at: timestampSchema,
    })
    .nullable(),
  lastError: errorInfoSchema.nullable(),
});
export type PowerRecord = z.infer<typeof powerRecordSchema>;

/** `provider` key `join-config` — owner omni-bridge: the Talos join config served at boot-http `/config`. */
export const joinConfigSchema = z.object({
  config: z.string().min(1),
  kernelArgs: z.array(z.string()).default([]),
  updatedAt: timestampSchema,
});
export type JoinConfig = z.infer<typeof joinConfigSchema>;
export const PROVIDER_KEYS = { joinConfig: 'join-config' } as const;
