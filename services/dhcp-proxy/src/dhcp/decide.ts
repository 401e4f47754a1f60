// The ProxyDHCP decision, pure: given a decoded request and what port it came in on, either a plan for the reply
// or a named reason for not answering. No I/O, no clock.

import { macFromBytes } from '@metalbus/events';
import { chooseBootFile, createBootFileTable } from './boot-file.js';
import type { BootFiles, BootFileTable } from './boot-file.js';
import { classify, netbootPrefix } from './classify.js';
import type { ClientClass } from './classify.js';
import { BootpOp, HTYPE_ETHERNET, MessageType } from './options.js';
import type { DhcpPacket } from './packet.js';

/** `both`: 67 and 4011 (default). `4011-only`: next to the site DHCP server, which owns 67. `off`: no ProxyDHCP. */
export const DhcpModes = ['both', '4011-only', 'off'] as const;
export type DhcpMode = (typeof DhcpModes)[number];

/** The two ProxyDHCP listeners by their well-known port (the bound port numbers are configurable). */
export type Listener = 67 | 4011;

export const DropReasons = [
  'mode-disabled', // the listener is off in this mode
  'not-bootp-request', // op is BOOTREPLY (RFC 951 §3): another server's answer
  'not-dhcp', // no option 53: plain BOOTP, which a ProxyDHCP does not serve
  'unsupported-hardware', // not Ethernet with a 6-byte MAC: nothing to key the machine on
  'wrong-message-type', // e.g. DISCOVER on 4011, RELEASE, DECLINE
  'other-server', // a REQUEST/INFORM for another server (option 54 names someone else)
  'not-netboot', // option 60 does not start with PXEClient/HTTPClient
  'no-arch', // neither option 93 nor an Arch field in option 60
  'unsupported-arch', // no option-93 value we have a boot file for
  'bad-client-guid', // option 97 present but not type 0 + 16 bytes (RFC 4578 §2.3)
  'reply-too-large', // the encoded reply exceeds 1472 bytes or the client's option 57
] as const;
export type DropReason = (typeof DropReasons)[number];

export type RequestKind = 'discover' | 'request' | 'inform';

export interface DhcpRequest {
  readonly packet: DhcpPacket;
  readonly listener: Listener;
}

export interface DecideContext {
  readonly mode: DhcpMode;
  /** IPv4 address of this proxy: siaddr, option 54 and the TFTP server. */
  readonly serverAddress: string;
  /** Every address option 54 may name to mean this proxy. */
  readonly ownAddresses: ReadonlySet<string>;
  readonly bootFiles: BootFileTable;
}

export interface DecideContextInput {
  readonly mode: DhcpMode;
  readonly serverAddress: string;
  readonly ownAddresses?: readonly string[];
  /** boot-http's address in URLs (IPv4 or IPv6 literal). */
  readonly httpHost: string;
  readonly httpPort: number;
  readonly bootFiles: BootFiles;
  readonly overrides?: ReadonlyMap<string, string>;
}

/** Everything decide() needs, precomputed once at start-up (URLs, address set). */
export function createDecideContext(input: DecideContextInput): DecideContext {
  return {
    mode: input.mode,
    serverAddress: input.serverAddress,
    ownAddresses: new Set([input.serverAddress, ...(input.ownAddresses ?? [])]),
    bootFiles: createBootFileTable({
      bootFiles: input.bootFiles,
      overrides: input.overrides ?? new Map(),
      httpHost: input.httpHost,
      httpPort: input.httpPort,
    }),
  };
}

export interface ReplyPlan {
  readonly reply: 'offer' | 'ack';
  readonly request: RequestKind;
  readonly mac: string;
  readonly client: ClientClass;
  readonly bootFile: string;
}

export type Decision =
  | { readonly kind: 'reply'; readonly reply: ReplyPlan }
  | { readonly kind: 'drop'; readonly reason: DropReason; readonly observe?: boolean };

const drop = (reason: DropReason): Decision => ({ kind: 'drop', reason });

const KIND_OF_TYPE: ReadonlyMap<number, RequestKind> = new Map([
  [MessageType.discover, 'discover'],
  [MessageType.request, 'request'],
  [MessageType.inform, 'inform'],
]);

/** Which reply a message type gets on a listener, or why none (PXE 2.1 §2.2-2.5, RFC 2131 §4.3). */
function replyKind(
  request: DhcpRequest,
  kind: RequestKind | undefined,
  ctx: DecideContext,
): Decision | 'offer' | 'ack' {
  const { options } = request.packet;
  if (request.listener === 4011) {
    // PXE 2.1 §2.5: the second phase is a unicast REQUEST (some ROMs use INFORM) to the boot server on 4011.
    return kind === 'request' || kind === 'inform' ? 'ack' : drop('wrong-message-type');
  }
  if (kind === 'discover') return 'offer';
  if (kind === 'request' || kind === 'inform') {
    // On 67 a REQUEST is normally the client taking the site server's lease (option 54 = that server); an INFORM
    // (RFC 2131 §3.4) asks whoever answers for configuration unless it names a server. A REQUEST carrying
    // option 50 asks for an address, which a proxy never offered: it is the site server's even when both share
    // an address (RFC 2131 §4.3.2), so the proxy stays silent and only learns the address.
    const leaseRequest = kind === 'request' && options.requestedIp !== undefined;
    const forUs =
      !leaseRequest && (options.serverId === undefined ? kind === 'inform' : ctx.ownAddresses.has(options.serverId));
    if (forUs) return 'ack';
    const observe =
      kind === 'request' && options.requestedIp !== undefined && netbootPrefix(options.vendorClass) !== null;
    return observe ? { kind: 'drop', reason: 'other-server', observe: true } : drop('other-server');
  }
  return drop('wrong-message-type');
}

export function decide(request: DhcpRequest, ctx: DecideContext): Decision {
  if (ctx.mode === 'off' || (ctx.mode === '4011-only' && request.listener === 67)) return drop('mode-disabled');
  const { packet } = request;
  if (packet.op !== BootpOp.request) return drop('not-bootp-request');
  const type = packet.options.messageType;
  if (type === undefined) return drop('not-dhcp');
  if (packet.htype !== HTYPE_ETHERNET || packet.hlen !== 6) return drop('unsupported-hardware');

  const kind = KIND_OF_TYPE.get(type);
  const reply = replyKind(request, kind, ctx);
  if (typeof reply !== 'string') return reply;

  const classified = classify(packet.options);
  if (!classified.ok) return drop(classified.reason);
  const guid = packet.options.clientMachineId;
  if (guid !== undefined && (guid.type !== 0 || guid.id.length !== 16)) return drop('bad-client-guid');

  const mac = macFromBytes(packet.chaddr.subarray(0, 6));
  const client = classified.value;
  return {
    kind: 'reply',
    reply: {
      reply,
      request: kind as RequestKind,
      mac,
      client,
      bootFile: chooseBootFile(client, mac, ctx.bootFiles),
    },
  };
}
