import type { z } from 'zod';
import { BmcError, beforeSending } from '../drivers/driver.js';
import type { Authenticator } from './auth.js';
import { classifyFailure, isRecord, type RedfishFailure } from './classify.js';
import type { Redactor } from './redact.js';
import { parseLoose, parseResource } from './schemas.js';
import type { HttpMethod, Transport } from './transport.js';

/** One Redfish answer, any status. `failure` is set for non-2xx answers. */
export interface RedfishAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: unknown;
  /** The `ETag` header, else the body's `@odata.etag` (DSP0266, "ETags"). */
  etag: string | null;
  failure: RedfishFailure | null;
}

export interface RedfishRequest {
  method: HttpMethod;
  path: string;
  body?: unknown;
  ifMatch?: string | null;
  signal: AbortSignal;
  operation: string;
  /** Send without credentials (the service root, which DSP0266 makes readable without them). */
  anonymous?: boolean;
}

export interface RedfishClient {
  readonly target: string;
  send(request: RedfishRequest): Promise<RedfishAnswer>;
  /** Check an answer is 2xx and has the schema's shape; otherwise throw the BmcError. `what` names the request. */
  decode<T>(schema: z.ZodType<T>, answer: RedfishAnswer, operation: string, what: string): T;
  /** GET a resource and decode it. */
  read<T>(
    schema: z.ZodType<T>,
    path: string,
    operation: string,
    signal: AbortSignal,
  ): Promise<{ value: T; etag: string | null }>;
  /** The BmcError for a failed answer, with secrets removed from the BMC's text. */
  errorFor(answer: RedfishAnswer, operation: string, what: string): BmcError;
  close(signal: AbortSignal, graceMs: number): Promise<void>;
}

export function createRedfishClient(transport: Transport, auth: Authenticator, redactor: Redactor): RedfishClient {
  const target = transport.target;

  async function sendOnce(request: RedfishRequest): Promise<{ answer: RedfishAnswer; used: Record<string, string> }> {
    let used: Record<string, string> = {};
    try {
      if (request.anonymous !== true) used = await auth.headers(request.operation, request.signal);
    } catch (error) {
      // A failed login: the request itself never left.
      throw beforeSending(error);
    }
    const headers: Record<string, string> = { accept: 'application/json', 'odata-version': '4.0', ...used };
    let body: string | undefined;
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    if (request.ifMatch !== undefined && request.ifMatch !== null) headers['if-match'] = request.ifMatch;
    const response = await transport.send({
      method: request.method,
      path: request.path,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: request.signal,
      operation: request.operation,
    });
    const parsed = parseLoose(response.text);
    const bodyTag = isRecord(parsed) && typeof parsed['@odata.etag'] === 'string' ? parsed['@odata.etag'] : null;
    const ok = response.status >= 200 && response.status <= 299;
    return {
      used,
      answer: {
        status: response.status,
        headers: response.headers,
        body: parsed,
        etag: response.headers['etag'] ?? bodyTag,
        failure: ok ? null : classifyFailure(response.status, parsed),
      },
    };
  }

  const client: RedfishClient = {
    target,
    async send(request) {
      const first = await sendOnce(request);
      // An expired or evicted session gets one fresh login; a rejected password does not loop.
      if (first.answer.status === 401 && request.anonymous !== true && auth.rejected(first.used)) {
        return (await sendOnce(request)).answer;
      }
      return first.answer;
    },
    decode(schema, answer, operation, what) {
      if (answer.failure !== null) throw client.errorFor(answer, operation, what);
      const parsed = parseResource(schema, answer.body);
      if (!parsed.ok) throw new BmcError('protocol', target, operation, redactor.redact(`${what}: ${parsed.error}`));
      return parsed.value;
    },
    async read(schema, path, operation, signal) {
      const answer = await client.send({ method: 'GET', path, signal, operation });
      return { value: client.decode(schema, answer, operation, `GET ${path}`), etag: answer.etag };
    },
    errorFor(answer, operation, what) {
      const failure = answer.failure ?? classifyFailure(answer.status, answer.body);
      const detail = failure.code === 'auth-failed' ? `HTTP ${answer.status}: credentials rejected` : failure.detail;
      // 502/504 come from a gateway in front of the service, which may have received the request and not answered.
      const unanswered = answer.status === 502 || answer.status === 504;
      return new BmcError(failure.code, target, operation, redactor.redact(`${what}: ${detail}`), { unanswered });
    },
    async close(signal, graceMs) {
      await auth.close(signal);
      await transport.close(graceMs);
    },
  };
  return client;
}
