// The ProxyDHCP reply for a plan, and where it goes. Pure.

import type { Listener, ReplyPlan } from './decide.js';
import { DiscoveryControl, FLAG_BROADCAST, Header, MAX_REPLY_LENGTH, MessageType } from './options.js';
import { BROADCAST_IP, ZERO_IP } from './packet.js';
import type { DhcpOptions, DhcpPacket, PxeVendorOptions, RawOption } from './packet.js';

const BIOS_VENDOR_OPTIONS: PxeVendorOptions = { kind: 'pxe', discoveryControl: DiscoveryControl.useBootFile };
const NO_OTHER_OPTIONS: readonly RawOption[] = [];

export interface ReplyContext {
  /** IPv4 address of this proxy (siaddr, sname, options 54 and 66). */
  readonly serverAddress: string;
}

/**
 * The reply packet. Header and options both carry the boot information: U-Boot's ProxyDHCP path reads only the
 * header `file`, EDK2 prefers option 67; siaddr (RFC 2131 §2 "next server") and option 54 tell PXE ROMs where the
 * TFTP and 4011 servers are. yiaddr stays 0: that is what makes firmware treat it as a proxy offer.
 *
 * Option 43 (PXE 2.1 §2.4.1) with discovery control 8 ("boot the file in this packet, skip discovery") goes only
 * to x86 BIOS ROMs. UEFI firmware often ignores a proxy offer that bypasses discovery, and with no option 43 it
 * asks again on 4011 (the BINL path), which works almost everywhere.
 */
export function buildReply(request: DhcpPacket, plan: ReplyPlan, ctx: ReplyContext): DhcpPacket {
  const { client, bootFile } = plan;
  const { clientMachineId, relayAgent } = request.options;
  const options: { -readonly [K in keyof DhcpOptions]: DhcpOptions[K] } = {
    messageType: plan.reply === 'offer' ? MessageType.offer : MessageType.ack,
    serverId: ctx.serverAddress,
    vendorClass: client.replyVendorClass,
    bootFile,
    other: NO_OTHER_OPTIONS,
  };
  // Option 66 names a TFTP server; a URL already says where to fetch (HTTP boot, iPXE script).
  if (!bootFile.includes('://')) options.tftpServer = ctx.serverAddress;
  if (client.biosRom) options.vendor = BIOS_VENDOR_OPTIONS;
  if (clientMachineId !== undefined) options.clientMachineId = clientMachineId; // RFC 4578 §2.3: echo
  if (relayAgent !== undefined) options.relayAgent = relayAgent; // RFC 3046 §2.2: echo unchanged
  return {
    op: 2,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    // RFC 2131 §4.1 copies flags; with no client address the broadcast bit is set as well, so a relay agent
    // broadcasts the reply (it cannot unicast to yiaddr 0) and ROMs that did not set it still take it.
    flags: request.ciaddr === ZERO_IP ? request.flags | FLAG_BROADCAST : request.flags,
    // RFC 2131 table 3: an ACK echoes ciaddr, an OFFER carries 0.
    ciaddr: plan.reply === 'ack' ? request.ciaddr : ZERO_IP,
    yiaddr: ZERO_IP,
    siaddr: ctx.serverAddress,
    giaddr: request.giaddr,
    chaddr: request.chaddr,
    sname: ctx.serverAddress,
    // The header field holds at most 127 bytes plus NUL; a longer URL goes in option 67 only.
    file: bootFile.length < Header.fileLength ? bootFile : '',
    options,
  };
}

export interface Destination {
  readonly address: string;
  readonly port: number;
}

export interface ReplyPorts {
  /** Client port, 68 (RFC 2131 §4.1). */
  readonly client: number;
  /** Server/relay port, 67: replies to a relay agent go to giaddr on it (RFC 2131 §4.1, RFC 1542 §5.4). */
  readonly relay: number;
}

/**
 * Where the reply goes. 4011: back to the sender's address and port (EDK2 sends from 4011, iPXE from 68).
 * 67: to the relay (giaddr) when relayed; unicast to ciaddr when the client has an address; otherwise broadcast,
 * since a proxy offers no yiaddr to unicast to (RFC 2131 §4.1).
 */
export function replyDestination(
  request: DhcpPacket,
  listener: Listener,
  source: Destination,
  ports: ReplyPorts,
): Destination {
  if (listener === 4011) return source;
  if (request.giaddr !== ZERO_IP) return { address: request.giaddr, port: ports.relay };
  if (request.ciaddr !== ZERO_IP) return { address: request.ciaddr, port: ports.client };
  return { address: BROADCAST_IP, port: ports.client };
}

/** RFC 2132 §9.10: option 57 counts the IP and UDP headers (28 bytes); below 576 it is not valid and ignored. */
export function maxReplyLength(request: DhcpPacket): number {
  const max = request.options.maxMessageSize;
  if (max === undefined || max < 576) return MAX_REPLY_LENGTH;
  return Math.min(MAX_REPLY_LENGTH, max - 28);
}
