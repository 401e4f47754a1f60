import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Served } from './report.js';
import type { BodySlice, Decision, RequestHeadersView } from './representation.js';

/** A body source for a slice: a Buffer (in-memory binaries) or a stream that counts what it has produced. */
export type Body = Buffer | (Readable & { readonly bytesRead: number });

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

export function requestView(req: FastifyRequest): RequestHeadersView {
  return {
    method: req.method,
    range: header(req, 'range'),
    ifRange: header(req, 'if-range'),
    ifMatch: header(req, 'if-match'),
    ifNoneMatch: header(req, 'if-none-match'),
    ifModifiedSince: header(req, 'if-modified-since'),
    ifUnmodifiedSince: header(req, 'if-unmodified-since'),
  };
}

/**
 * Apply a decision: status, headers, then the body slice from `open` (called only when a body is sent). Fastify
 * pipes streams and destroys the socket if the stream fails after the headers went out, so a client mid-body sees
 * an aborted transfer (its Content-Length is never met), while a stream that fails before its first byte turns
 * into an error reply through the error's `statusCode`.
 */
export function sendDecision(
  reply: FastifyReply,
  decision: Decision,
  served: Served,
  open: (slice: BodySlice) => Body,
): FastifyReply {
  served.range = decision.status === 206 ? decision.range : null;
  reply.code(decision.status).headers(decision.headers).header('x-content-type-options', 'nosniff');
  if (decision.body === null) {
    served.plannedBytes = 0;
    return reply.send();
  }
  const body = open(decision.body);
  if (Buffer.isBuffer(body)) {
    served.plannedBytes = body.length;
    return reply.send(body);
  }
  const { start, end } = decision.body;
  served.plannedBytes = Number.isFinite(end) ? end - start + 1 : null;
  served.progress = () => body.bytesRead;
  return reply.send(body);
}
