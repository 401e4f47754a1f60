import { NETFN } from './app-commands.js';
import type { IpmiErrorCode } from './errors.js';
import type { IpmiRequest } from './lan-message.js';
import { type Decoded, fail, ok } from './result.js';

/** Chassis commands (IPMI v2.0 section 28). */
const CMD = {
  getChassisStatus: 0x01,
  chassisControl: 0x02,
  setSystemBootOptions: 0x08,
  getSystemBootOptions: 0x09,
} as const;

export function getChassisStatus(): IpmiRequest {
  return { netFn: NETFN.chassis, cmd: CMD.getChassisStatus, data: new Uint8Array(0) };
}

export interface ChassisStatus {
  /** Current Power State byte 1 bit 0 (section 28.2, table 28-3). */
  readonly powerOn: boolean;
  readonly powerFault: boolean;
  readonly powerOverload: boolean;
  readonly lastPowerEvent: number;
  readonly miscState: number;
}

export function decodeChassisStatus(data: Buffer): Decoded<ChassisStatus> {
  if (data.length < 3) return fail(`get chassis status: ${data.length} data bytes, at least 3 expected`);
  const current = data[0] ?? 0;
  return ok({
    powerOn: (current & 0x01) !== 0,
    powerOverload: (current & 0x02) !== 0,
    powerFault: (current & 0x08) !== 0,
    lastPowerEvent: data[1] ?? 0,
    miscState: data[2] ?? 0,
  });
}

/** Chassis Control data byte 1 (section 28.3, table 28-4). */
export const CHASSIS_CONTROL = {
  powerDown: 0x00,
  powerUp: 0x01,
  powerCycle: 0x02,
  hardReset: 0x03,
  diagnosticInterrupt: 0x04,
  softShutdown: 0x05,
} as const;
export type ChassisControl = (typeof CHASSIS_CONTROL)[keyof typeof CHASSIS_CONTROL];

export function chassisControl(control: ChassisControl): IpmiRequest {
  return { netFn: NETFN.chassis, cmd: CMD.chassisControl, data: Uint8Array.of(control) };
}

/** Boot option parameter selectors (section 28.13, table 28-14). */
export const BOOT_PARAM = { setInProgress: 0x00, bootInfoAcknowledge: 0x04, bootFlags: 0x05 } as const;
/** Parameter 0 values: set complete / set in progress / commit write. */
export const SET_IN_PROGRESS = { complete: 0x00, inProgress: 0x01, commitWrite: 0x02 } as const;

/** Boot device selector, byte 2 bits 5:2 of the boot flags (table 28-14, parameter 5). */
export const BOOT_DEVICE_SELECTOR = {
  none: 0x0,
  pxe: 0x1,
  disk: 0x2,
  diskSafeMode: 0x3,
  diagnostic: 0x4,
  cdrom: 0x5,
  biosSetup: 0x6,
} as const;
export type BootDeviceName = keyof typeof BOOT_DEVICE_SELECTOR;

export interface BootFlags {
  /** Byte 1 bit 7: the flags are valid (the override applies). */
  readonly valid: boolean;
  /** Byte 1 bit 6: 1 persistent, 0 next boot only. */
  readonly persistent: boolean;
  /** Byte 1 bit 5: 1 EFI boot, 0 PC-compatible (legacy BIOS) boot. */
  readonly efi: boolean;
  readonly device: BootDeviceName;
}

export function encodeBootFlags(flags: BootFlags): Buffer {
  const out = Buffer.alloc(5); // bytes 3–5: no CMOS clear, console redirection and BIOS mux defaults
  out[0] = (flags.valid ? 0x80 : 0) | (flags.persistent ? 0x40 : 0) | (flags.efi ? 0x20 : 0);
  out[1] = (BOOT_DEVICE_SELECTOR[flags.device] & 0x0f) << 2;
  return out;
}

export function decodeBootFlags(data: Buffer): Decoded<BootFlags> {
  if (data.length < 2) return fail(`boot flags: ${data.length} bytes, 5 expected`);
  const selector = ((data[1] ?? 0) >> 2) & 0x0f;
  const device = (Object.keys(BOOT_DEVICE_SELECTOR) as BootDeviceName[]).find(
    (k) => BOOT_DEVICE_SELECTOR[k] === selector,
  );
  if (device === undefined) return fail(`boot flags: unknown device selector 0x${selector.toString(16)}`);
  const b1 = data[0] ?? 0;
  return ok({ valid: (b1 & 0x80) !== 0, persistent: (b1 & 0x40) !== 0, efi: (b1 & 0x20) !== 0, device });
}

/** Set System Boot Options (section 28.12): parameter selector (bit 7 "mark invalid" left 0) then the data. */
export function setSystemBootOptions(parameter: number, data: Uint8Array): IpmiRequest {
  const out = new Uint8Array(1 + data.length);
  out[0] = parameter & 0x7f;
  out.set(data, 1);
  return { netFn: NETFN.chassis, cmd: CMD.setSystemBootOptions, data: out };
}

/** Get System Boot Options (section 28.13): parameter, set selector 0, block selector 0. */
export function getSystemBootOptions(parameter: number): IpmiRequest {
  return { netFn: NETFN.chassis, cmd: CMD.getSystemBootOptions, data: Uint8Array.of(parameter & 0x7f, 0, 0) };
}

export interface BootOptionsReply {
  readonly parameter: number;
  /** Byte 2 bit 7: parameter marked invalid / locked. */
  readonly invalid: boolean;
  readonly data: Buffer;
}

export function decodeGetSystemBootOptions(data: Buffer): Decoded<BootOptionsReply> {
  if (data.length < 2) return fail(`get system boot options: ${data.length} data bytes, at least 2 expected`);
  const selector = data[1] ?? 0;
  return ok({ parameter: selector & 0x7f, invalid: (selector & 0x80) !== 0, data: data.subarray(2) });
}

/** Set System Boot Options command-specific completion codes (table 28-13). */
export const BOOT_OPTIONS_COMPLETION: Readonly<Record<number, readonly [IpmiErrorCode, string]>> = {
  0x80: ['unsupported', 'boot option parameter not supported'],
  0x81: ['bmc-busy', "attempt to set 'set in progress' while not in 'set complete' state"],
  0x82: ['unsupported', 'attempt to write a read-only parameter'],
};
