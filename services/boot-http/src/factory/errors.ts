/** Stable codes for everything that can go wrong talking to the Image Factory or filling the cache. */
export const FACTORY_ERROR_CODES = [
  'upstream-connect', // could not connect (refused, DNS, TLS)
  'upstream-timeout', // no headers / no body chunk / no answer within the timeout
  'upstream-status', // a non-2xx answer
  'upstream-truncated', // the connection ended before the body did
  'upstream-length-mismatch', // body length differs from Content-Length
  'upstream-digest-mismatch', // body hash differs from the announced digest
  'upstream-bad-response', // 2xx but the body is not what the API promises (schematic JSON)
  'cache-io', // local disk error while writing the cache
  'closed', // the factory client was closed (shutdown)
  'busy', // FACTORY_MAX_DOWNLOADS running and FACTORY_DOWNLOAD_QUEUE waiting: answered 503, not 502
] as const;

export type FactoryErrorCode = (typeof FACTORY_ERROR_CODES)[number];

export class FactoryError extends Error {
  override readonly name = 'FactoryError';
  readonly code: FactoryErrorCode;
  /** The upstream HTTP status, for `upstream-status`. */
  readonly upstreamStatus: number | null;
  /** What fastify uses when the error reaches it: clients that have no headers yet get a 502 (503 when busy). */
  get statusCode(): number {
    return this.code === 'busy' ? 503 : 502;
  }

  constructor(code: FactoryErrorCode, message: string, options?: { cause?: unknown; upstreamStatus?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.upstreamStatus = options?.upstreamStatus ?? null;
  }
}

/** Map whatever undici (or the abort signal) threw to a coded error. `afterHeaders`: the body had started. */
export function toFactoryError(err: unknown, afterHeaders: boolean): FactoryError {
  if (err instanceof FactoryError) return err;
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : '';
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (
    name === 'TimeoutError' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return new FactoryError('upstream-timeout', message, { cause: err });
  }
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return new FactoryError('upstream-length-mismatch', message, { cause: err });
  }
  return new FactoryError(afterHeaders ? 'upstream-truncated' : 'upstream-connect', message, { cause: err });
}
