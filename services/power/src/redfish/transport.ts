import { Pool } from 'undici';
import { BmcError, type BmcErrorCode } from '../drivers/driver.js';
import type { HttpTarget } from './target.js';

/**
 * HTTP to one BMC over a keep-alive undici Pool: TLS verification on unless `insecure`, optional CA, every
 * request bounded by the caller's AbortSignal. Transport failures become BmcErrors here; HTTP statuses are
 * returned as they are and judged by the caller. Used by the Redfish driver and by the QEMU power-API driver.
 *
 * A failure is `unanswered` (the BMC may have acted on the request) unless it provably happened before the
 * request was written: name resolution, TCP connect, TLS trust, or a deadline already passed. A reset of the
 * connection (ECONNRESET, UND_ERR_SOCKET: typical of a BMC sharing its NIC with the host it just power-cycled)
 * is not proof of anything.
 */
export interface TransportOptions {
  target: HttpTarget;
  /** Skip certificate verification (explicit opt-in). */
  insecure: boolean;
  /** PEM trust anchors for this BMC; when set they replace the system store (Node `tls` `ca` semantics). */
  caPem: string | null;
  connectTimeoutMs: number;
  /** Answers larger than this are refused as protocol errors (a BMC resource is a few KiB). */
  maxBodyBytes?: number;
  /** Sockets per BMC; BMCs are small and easily overwhelmed. */
  connections?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** For error messages: `status`, `powerOn`, … */
  operation: string;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Readonly<Record<string, string>>;
  text: string;
}

export interface Transport {
  /** `https://host:port` for messages. */
  readonly target: string;
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Let in-flight requests finish for up to `graceMs`, then drop every socket. */
  close(graceMs: number): Promise<void>;
}

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

export function createTransport(options: TransportOptions): Transport {
  const target = options.target.display;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const tls = options.target.origin.protocol === 'https:';
  const pool = new Pool(options.target.origin, {
    connections: options.connections ?? 2,
    connect: {
      timeout: options.connectTimeoutMs,
      ...(tls ? { rejectUnauthorized: !options.insecure } : {}),
      ...(tls && options.caPem !== null ? { ca: options.caPem } : {}),
    },
  });

  async function once(request: HttpRequest): Promise<HttpResponse> {
    const response = await pool.request({
      method: request.method,
      path: request.path,
      headers: request.headers ?? {},
      body: request.body ?? null,
      signal: request.signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > maxBody) {
        response.body.destroy();
        throw new BmcError('protocol', target, request.operation, `answer larger than ${maxBody} bytes`);
      }
      chunks.push(buffer);
    }
    return {
      status: response.statusCode,
      headers: flattenHeaders(response.headers),
      text: Buffer.concat(chunks).toString('utf8'),
    };
  }

  return {
    target,
    async send(request) {
      if (request.signal.aborted) throw deadline(target, request.operation, false);
      try {
        return await once(request);
      } catch (error) {
        if (error instanceof BmcError) throw error;
        if (request.signal.aborted) throw deadline(target, request.operation, true, error);
        // A kept-alive socket the BMC closed while idle fails the next request before any answer; a GET is
        // safe to send again once on a fresh socket.
        if (request.method === 'GET' && isStaleSocket(error)) {
          try {
            return await once(request);
          } catch (retryError) {
            if (retryError instanceof BmcError) throw retryError;
            if (request.signal.aborted) throw deadline(target, request.operation, true, retryError);
            throw transportError(target, request.operation, retryError);
          }
        }
        throw transportError(target, request.operation, error);
      }
    },
    async close(graceMs) {
      if (pool.destroyed) return;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), graceMs);
        timer.unref();
      });
      const outcome = await Promise.race([pool.close().then(() => 'closed' as const), expired]);
      clearTimeout(timer);
      if (outcome === 'expired' || !pool.destroyed) await pool.destroy();
    },
  };
}

/** `unanswered`: the request had been handed to the connection (it may have been written) when time ran out. */
function deadline(target: string, operation: string, unanswered: boolean, cause?: unknown): BmcError {
  return new BmcError('timeout', target, operation, 'no answer before the deadline', {
    unanswered,
    ...(cause === undefined ? {} : { cause }),
  });
}

const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/** Maps what undici/node throw to our codes. Only error codes are used in the text, never request details. */
export function transportError(target: string, operation: string, error: unknown): BmcError {
  const code = errorCode(error);
  const verdict = classifyTransportCode(code);
  const unanswered = !failedBeforeSending(error);
  const detail = unanswered ? `${verdict.detail}; the request may have reached the BMC` : verdict.detail;
  return new BmcError(verdict.code, target, operation, detail, { cause: error, unanswered });
}

/** Codes that only name resolution, connecting or the TLS handshake produce: no request byte was written. */
const BEFORE_SENDING_CODES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Pure: whether a transport failure provably happened before the request was written. Node system errors name
 * their syscall (`connect`, `getaddrinfo`); an untrusted certificate fails the handshake. Everything else (a reset,
 * a socket closed under the request, an unreachable host on an open connection) may have followed the request.
 */
export function failedBeforeSending(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== null && (BEFORE_SENDING_CODES.has(code) || isCertificateCode(code))) return true;
  const syscall = errorField(error, 'syscall');
  return syscall === 'connect' || syscall === 'getaddrinfo';
}

export function classifyTransportCode(code: string | null): { code: BmcErrorCode; detail: string } {
  if (code === null) return { code: 'unreachable', detail: 'connection failed' };
  if (isCertificateCode(code)) {
    // Non-transient: retrying will not make the certificate trusted. The operator fixes caPem or sets insecure.
    return {
      code: 'auth-failed',
      detail: `TLS certificate of the BMC not trusted (${code}); set its CA or mark it insecure`,
    };
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { code: 'unreachable', detail: 'connect timed out' };
  if (UNREACHABLE_CODES.has(code)) return { code: 'unreachable', detail: `connection failed (${code})` };
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || code.startsWith('HPE_') || code === 'UND_ERR_INFO') {
    return { code: 'protocol', detail: `not a valid HTTP/TLS answer (${code})` };
  }
  return { code: 'unreachable', detail: `connection failed (${code})` };
}

function isCertificateCode(code: string): boolean {
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/.test(code);
}

function isStaleSocket(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

/** The first `code` along the `cause` chain (undici wraps some socket errors). */
function errorCode(error: unknown): string | null {
  return errorField(error, 'code');
}

/** The first string `field` along the `cause` chain. */
function errorField(error: unknown, field: 'code' | 'syscall'): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const value = (current as Record<string, unknown>)[field];
    if (typeof value === 'string') return value;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
