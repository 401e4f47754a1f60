import { z } from 'zod';
import { isMachineId, normalizeMac } from './identity.js';

export const machineIdSchema = z.string().refine(isMachineId, 'must be a canonical UUID or mac-<12 hex>');
export const macSchema = z.string().transform((s, ctx) => {
  const mac = normalizeMac(s);
  if (mac === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a MAC address' });
    return z.NEVER;
  }
  return mac;
});
export const timestampSchema = z.iso.datetime({ offset: true });
export const archSchema = z.enum(['amd64', 'arm64']);
export const firmwareSchema = z.enum(['bios', 'uefi', 'uefi-http', 'uboot', 'ipxe']);
export const powerStateSchema = z.enum(['on', 'off', 'unknown']);
export const powerActionSchema = z.enum(['on', 'off', 'soft-off', 'cycle', 'reset', 'status']);
export const bootDeviceSchema = z.enum(['pxe', 'disk']);
export const bootFirmwareSchema = z.enum(['bios', 'uefi']);
/** How a power command ended (power.completed, the power record, the request log). */
export const powerOutcomeSchema = z.enum(['ok', 'error', 'rejected', 'expired']);
export const errorInfoSchema = z.object({ code: z.string().min(1), message: z.string() });

export type Arch = z.infer<typeof archSchema>;
export type Firmware = z.infer<typeof firmwareSchema>;
export type PowerState = z.infer<typeof powerStateSchema>;
export type PowerAction = z.infer<typeof powerActionSchema>;
export type BootDevice = z.infer<typeof bootDeviceSchema>;
export type BootFirmware = z.infer<typeof bootFirmwareSchema>;
export type PowerOutcome = z.infer<typeof powerOutcomeSchema>;
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

/** Fields every event carries (ARCHITECTURE.md principle 4). */
export const envelope = {
  schema: z.literal(1),
  machineId: machineIdSchema,
  at: timestampSchema,
};
