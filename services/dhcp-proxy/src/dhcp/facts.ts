// What the server reports after answering (ServedFact) or after seeing a client take the site server's lease
// (ObservedFact). Pure builders; the lead turns them into `machine.discovered` events and TFTP attribution.

import { machineIdOf, macFromBytes, uuidFromGuidBytes } from '@metalbus/events';
import type { MachineArch } from './classify.js';
import type { Firmware } from './classify.js';
import type { Listener, ReplyPlan, RequestKind } from './decide.js';
import { ZERO_IP } from './packet.js';
import type { DhcpPacket } from './packet.js';

export interface ServedFact {
  readonly mac: string;
  /** Canonical SMBIOS UUID from option 97, or null when absent, malformed, all-zero or all-FF. */
  readonly uuid: string | null;
  readonly machineId: string;
  readonly arch: MachineArch;
  readonly firmware: Firmware;
  readonly clientArch: number | null;
  /** Option 60 as sent. */
  readonly vendorClass: string | null;
  /** Option 77 classes joined with ','. */
  readonly userClass: string | null;
  readonly isIpxe: boolean;
  /** giaddr of the relay agent, or null when not relayed. */
  readonly relay: string | null;
  /** The interface the proxy serves (configured or derived), or null. */
  readonly interface: string | null;
  readonly messageType: RequestKind;
  readonly port: Listener;
  readonly bootFile: string;
  /** ciaddr, else the option-50 requested address, else null. */
  readonly clientAddress: string | null;
}

export interface ObservedFact {
  readonly mac: string;
  readonly uuid: string | null;
  readonly machineId: string;
  /** The address the client is taking from the site DHCP server (option 50). */
  readonly clientAddress: string;
  /** The site DHCP server (option 54), or null when the REQUEST names none (INIT-REBOOT). */
  readonly serverId: string | null;
  readonly vendorClass: string | null;
  readonly relay: string | null;
  readonly interface: string | null;
}

interface Identity {
  readonly mac: string;
  readonly uuid: string | null;
  readonly machineId: string;
}

/** MAC, usable UUID and machine id (ARCHITECTURE.md "Identity") of a request. */
export function identityOf(packet: DhcpPacket, mac?: string): Identity {
  const hwaddr = mac ?? macFromBytes(packet.chaddr.subarray(0, packet.hlen));
  const guid = packet.options.clientMachineId;
  const parsed = guid !== undefined && guid.type === 0 ? uuidFromGuidBytes(guid.id) : null;
  const machineId = machineIdOf({ uuid: parsed, mac: hwaddr });
  return { mac: hwaddr, uuid: machineId === parsed ? parsed : null, machineId };
}

const orNull = (ip: string): string | null => (ip === ZERO_IP ? null : ip);

export function servedFact(packet: DhcpPacket, plan: ReplyPlan, listener: Listener, iface: string | null): ServedFact {
  const { options } = packet;
  return {
    ...identityOf(packet, plan.mac),
    arch: plan.client.arch,
    firmware: plan.client.firmware,
    clientArch: plan.client.clientArch,
    vendorClass: options.vendorClass ?? null,
    userClass: options.userClass?.classes.join(',') ?? null,
    isIpxe: plan.client.isIpxe,
    relay: orNull(packet.giaddr),
    interface: iface,
    messageType: plan.request,
    port: listener,
    bootFile: plan.bootFile,
    clientAddress: orNull(packet.ciaddr) ?? options.requestedIp ?? null,
  };
}

export function observedFact(packet: DhcpPacket, iface: string | null): ObservedFact | null {
  const { options } = packet;
  if (options.requestedIp === undefined || packet.hlen !== 6) return null;
  return {
    ...identityOf(packet),
    clientAddress: options.requestedIp,
    serverId: options.serverId ?? null,
    vendorClass: options.vendorClass ?? null,
    relay: orNull(packet.giaddr),
    interface: iface,
  };
}
