import { z } from 'zod';
import {
  archSchema,
  bootDeviceSchema,
  bootFirmwareSchema,
  envelope,
  errorInfoSchema,
  firmwareSchema,
  macSchema,
  powerActionSchema,
  powerOutcomeSchema,
  powerStateSchema,
} from './common.js';

// One zod schema per event kind: the single source of truth for publishers and consumers.

const discovered = z.object({
  ...envelope,
  mac: macSchema,
  uuid: z.string().nullable(),
  arch: archSchema,
  firmware: firmwareSchema,
  clientArch: z.number().int().min(0).max(0xffff).nullable(),
  vendorClass: z.string().max(255).nullable(),
  userClass: z.string().max(255).nullable(),
  isIpxe: z.boolean(),
  relay: z.string().nullable(),
  interface: z.string().nullable(),
  messageType: z.enum(['discover', 'request', 'inform']),
  port: z.union([z.literal(67), z.literal(4011)]),
  bootFile: z.string(),
  clientAddress: z.string().nullable(),
});

const bootScript = z.object({
  ...envelope,
  mode: z.enum(['agent', 'install', 'disk', 'profile', 'none', 'rejected', 'cordoned']),
  status: z.number().int(),
  profileId: z.string().nullable(),
  groupId: z.string().nullable(),
  replica: z.string(),
  mac: z.string().nullable(),
  arch: archSchema.nullable(),
  remoteAddress: z.string().nullable(),
});

const bootAsset = z.object({
  ...envelope,
  transport: z.enum(['http', 'tftp']),
  path: z.string(),
  kind: z.enum(['kernel', 'initrd', 'ipxe', 'uki', 'other']),
  status: z.number().int(),
  bytes: z.number().int().nonnegative(),
  range: z.string().nullable(),
  durationMs: z.number().nonnegative(),
  cacheHit: z.boolean().nullable(),
  source: z.enum(['local', 'factory', 'ipxe']),
  replica: z.string(),
  remoteAddress: z.string().nullable(),
});

const powerRequested = z.object({
  ...envelope,
  requestId: z.string().min(1).max(128),
  action: powerActionSchema,
  bootDevice: bootDeviceSchema.nullable().default(null),
  bootFirmware: bootFirmwareSchema.nullable().default(null),
  deadline: z.iso.datetime({ offset: true }).nullable().default(null),
  requestedBy: z.string().min(1),
  reason: z.string().nullable().default(null),
});

const powerCompleted = z.object({
  ...envelope,
  requestId: z.string().min(1).max(128),
  action: powerActionSchema,
  outcome: powerOutcomeSchema,
  error: errorInfoSchema.nullable(),
  observed: powerStateSchema,
  driver: z.string().nullable(),
  durationMs: z.number().nonnegative(),
  attempts: z.number().int().nonnegative(),
  replayed: z.boolean().default(false),
});

const powerChanged = z.object({
  ...envelope,
  state: powerStateSchema,
  previous: powerStateSchema.nullable(),
  source: z.enum(['poll', 'command']),
});

const agentConnected = z.object({
  ...envelope,
  remoteAddress: z.string().nullable(),
  agentVersion: z.string().nullable(),
});

const agentDisconnected = z.object({
  ...envelope,
  reason: z.string().nullable(),
});

const wipeRequested = z.object({
  ...envelope,
  requestId: z.string().min(1).max(128),
  wipeId: z.string().nullable(),
  fast: z.boolean(),
});

const wipeCompleted = z.object({
  ...envelope,
  requestId: z.string().min(1).max(128),
  outcome: z.enum(['ok', 'error']),
  error: errorInfoSchema.nullable(),
  durationMs: z.number().nonnegative(),
});

const lifecycle = z.object({
  ...envelope,
  state: z.enum([
    'pending',
    'accepted',
    'rejected',
    'allocated',
    'installing',
    'installed',
    'deallocated',
    'cordoned',
    'uncordoned',
    'wiping',
    'wiped',
    'removed',
  ]),
  detail: z.string().nullable(),
});

/** Subject token(s) after `machine.` and before the machine id, per kind (ARCHITECTURE.md "Subjects"). */
export const EVENT_SCHEMAS = {
  discovered,
  'boot.script': bootScript,
  'boot.asset': bootAsset,
  'power.requested': powerRequested,
  'power.completed': powerCompleted,
  'power.changed': powerChanged,
  'agent.connected': agentConnected,
  'agent.disconnected': agentDisconnected,
  'wipe.requested': wipeRequested,
  'wipe.completed': wipeCompleted,
  lifecycle,
} as const;

export type EventKind = keyof typeof EVENT_SCHEMAS;
export const EVENT_KINDS = Object.keys(EVENT_SCHEMAS) as EventKind[];
/** The validated event (output of the schema: defaults applied). */
export type EventOf<K extends EventKind> = z.output<(typeof EVENT_SCHEMAS)[K]>;
/** What a publisher may pass (defaults may be omitted). */
export type EventInput<K extends EventKind> = z.input<(typeof EVENT_SCHEMAS)[K]>;
export type AnyEvent = { [K in EventKind]: { kind: K; event: EventOf<K> } }[EventKind];

export type DiscoveredEvent = EventOf<'discovered'>;
export type BootScriptEvent = EventOf<'boot.script'>;
export type BootAssetEvent = EventOf<'boot.asset'>;
export type PowerRequestedEvent = EventOf<'power.requested'>;
export type PowerCompletedEvent = EventOf<'power.completed'>;
export type PowerChangedEvent = EventOf<'power.changed'>;
export type LifecycleEvent = EventOf<'lifecycle'>;
