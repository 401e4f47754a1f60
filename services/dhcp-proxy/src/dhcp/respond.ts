// One datagram in, one outcome out: decode → decide → build → encode → destination. Pure; the server adds the
// socket, the metrics and the callbacks around it.

import { decodeDhcp, encodeDhcp } from './codec.js';
import { decide } from './decide.js';
import type { DecideContext, DropReason, Listener, ReplyPlan } from './decide.js';
import type { DhcpDecodeError } from './errors.js';
import type { DhcpPacket } from './packet.js';
import { buildReply, maxReplyLength, replyDestination } from './reply.js';
import type { Destination, ReplyPorts } from './reply.js';

export type Outcome =
  | { readonly kind: 'malformed'; readonly error: DhcpDecodeError }
  | { readonly kind: 'drop'; readonly reason: DropReason; readonly request: DhcpPacket; readonly observe: boolean }
  | {
      readonly kind: 'reply';
      readonly request: DhcpPacket;
      readonly plan: ReplyPlan;
      readonly bytes: Buffer;
      readonly to: Destination;
    };

export function respond(
  datagram: Uint8Array,
  listener: Listener,
  source: Destination,
  ctx: DecideContext,
  ports: ReplyPorts,
): Outcome {
  const decoded = decodeDhcp(datagram);
  if (!decoded.ok) return { kind: 'malformed', error: decoded.error };
  const request = decoded.value;
  const decision = decide({ packet: request, listener }, ctx);
  if (decision.kind === 'drop') {
    return { kind: 'drop', reason: decision.reason, request, observe: decision.observe === true };
  }
  const bytes = encodeDhcp(buildReply(request, decision.reply, ctx));
  if (bytes.length > maxReplyLength(request)) {
    return { kind: 'drop', reason: 'reply-too-large', request, observe: false };
  }
  return {
    kind: 'reply',
    request,
    plan: decision.reply,
    bytes,
    to: replyDestination(request, listener, source, ports),
  };
}
