import { z } from 'zod';

// The parts of the DMTF Redfish schemas we read. Loose objects: BMCs add OEM keys everywhere, and a property
// we do not use must never make a resource unreadable. Properties may be null on real BMCs, hence nullish().

const link = z.object({ '@odata.id': z.string().min(1) });

/** ServiceRoot (`/redfish/v1/`): readable without authentication (DSP0266, "Service root"). */
export const serviceRootSchema = z.looseObject({
  RedfishVersion: z.string().nullish(),
  Vendor: z.string().nullish(),
  Systems: link.nullish(),
  SessionService: link.nullish(),
  Links: z.looseObject({ Sessions: link.nullish() }).nullish(),
  Oem: z.record(z.string(), z.unknown()).nullish(),
});
export type ServiceRoot = z.infer<typeof serviceRootSchema>;

/** Any resource collection (ComputerSystemCollection here). */
export const collectionSchema = z.looseObject({
  Members: z.array(link),
});

export const resetActionSchema = z.looseObject({
  target: z.string().min(1),
  'ResetType@Redfish.AllowableValues': z.array(z.string()).nullish(),
  '@Redfish.ActionInfo': z.string().nullish(),
});

export const bootSchema = z.looseObject({
  BootSourceOverrideEnabled: z.string().nullish(),
  BootSourceOverrideTarget: z.string().nullish(),
  'BootSourceOverrideTarget@Redfish.AllowableValues': z.array(z.string()).nullish(),
  BootSourceOverrideMode: z.string().nullish(),
  'BootSourceOverrideMode@Redfish.AllowableValues': z.array(z.string()).nullish(),
});

/** ComputerSystem: power state, boot override, the Reset action, and a settings object when it has one. */
export const computerSystemSchema = z.looseObject({
  '@odata.id': z.string().min(1),
  Id: z.string().nullish(),
  UUID: z.string().nullish(),
  PowerState: z.string().nullish(),
  Boot: bootSchema.nullish(),
  Actions: z.looseObject({ '#ComputerSystem.Reset': resetActionSchema.nullish() }).nullish(),
  '@Redfish.Settings': z.looseObject({ SettingsObject: link.nullish() }).nullish(),
});
export type ComputerSystem = z.infer<typeof computerSystemSchema>;

/** ActionInfo: where some BMCs (e.g. Supermicro) list allowable ResetType values instead of inline. */
export const actionInfoSchema = z.looseObject({
  Parameters: z.array(z.looseObject({ Name: z.string(), AllowableValues: z.array(z.string()).nullish() })).nullish(),
});

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parsed JSON (undefined when the answer was not JSON) → typed value, or the first problem as text. */
export function parseResource<T>(schema: z.ZodType<T>, json: unknown): ParseResult<T> {
  if (json === undefined) return { ok: false, error: 'answer is not JSON' };
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
  return { ok: false, error: `unexpected JSON at ${where}: ${issue?.message ?? 'invalid'}` };
}

/** JSON text → unknown, for error bodies (anything goes). */
export function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
