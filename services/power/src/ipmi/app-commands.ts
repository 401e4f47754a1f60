import type { IpmiRequest } from './lan-message.js';
import { type Decoded, fail, ok } from './result.js';

/** NetFn codes (IPMI v2.0 section 5.1, table 5-1); responses use NetFn + 1. */
export const NETFN = { chassis: 0x00, app: 0x06 } as const;

/** Privilege levels (section 6.8, table 22-15 encoding). */
export const PRIVILEGE = { callback: 0x01, user: 0x02, operator: 0x03, administrator: 0x04 } as const;
export type PrivilegeName = keyof typeof PRIVILEGE;

const CMD = { getChannelAuthCapabilities: 0x38, setSessionPrivilege: 0x3b, closeSession: 0x3c } as const;

/**
 * Get Channel Authentication Capabilities (section 22.13): channel 0x0E ("this channel") with bit 7 set to ask for
 * the IPMI v2.0 extended data, then the privilege level we intend to use. Sent session-less in v1.5 framing.
 */
export function getChannelAuthCapabilities(privilege: number): IpmiRequest {
  return { netFn: NETFN.app, cmd: CMD.getChannelAuthCapabilities, data: Uint8Array.of(0x8e, privilege) };
}

export interface ChannelAuthCapabilities {
  readonly channel: number;
  /** Byte 2 bit 7 and byte 4 bit 1: the channel accepts IPMI v2.0 / RMCP+ sessions. */
  readonly supportsIpmiV20: boolean;
}

export function decodeChannelAuthCapabilities(data: Buffer): Decoded<ChannelAuthCapabilities> {
  if (data.length < 8) return fail(`get channel auth capabilities: ${data.length} data bytes, 8 expected`);
  const extended = ((data[1] ?? 0) & 0x80) !== 0;
  return ok({ channel: data[0] ?? 0, supportsIpmiV20: extended && ((data[3] ?? 0) & 0x02) !== 0 });
}

/** Set Session Privilege Level (section 22.18): sessions start at User level and must be raised. */
export function setSessionPrivilege(privilege: number): IpmiRequest {
  return { netFn: NETFN.app, cmd: CMD.setSessionPrivilege, data: Uint8Array.of(privilege) };
}

/** Close Session (section 22.19): the BMC's session ID, little-endian. */
export function closeSession(bmcSessionId: number): IpmiRequest {
  const data = Buffer.alloc(4);
  data.writeUInt32LE(bmcSessionId >>> 0, 0);
  return { netFn: NETFN.app, cmd: CMD.closeSession, data };
}
