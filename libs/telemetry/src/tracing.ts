import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  isSpanContextValid,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';

export type { Attributes, Context as TraceContext, Span } from '@opentelemetry/api';

export type Tracing = { shutdown(): Promise<void> };

export type TracingOptions = {
  service: string;
  /** OTLP/HTTP base URL (OTEL_EXPORTER_OTLP_ENDPOINT). Unset: spans exist and propagate but are not exported. */
  otlpEndpoint?: string;
};

const TRACER_NAME = 'metalbus';

/**
 * Registers the process-wide OpenTelemetry tracer provider, AsyncLocalStorage context manager and W3C trace
 * context propagator (the OTel API is global by design: one call per process, at start-up in main.ts).
 * With an endpoint, spans are batched to `<endpoint>/v1/traces` through the Node SDK; without one, a provider
 * with no span processor keeps trace ids and `traceparent` headers working at almost no cost.
 */
export function startTracing(opts: TracingOptions): Tracing {
  disableGlobals();
  const propagator = new W3CTraceContextPropagator();
  if (opts.otlpEndpoint) {
    const sdk = new NodeSDK({
      serviceName: opts.service,
      traceExporter: new OTLPTraceExporter({ url: tracesUrl(opts.otlpEndpoint) }),
      // Traces only: metrics are Prometheus (/metrics), logs are pino on stdout. Empty lists stop the SDK from
      // falling back to its env defaults (which would start OTLP metric and log exporters).
      metricReaders: [],
      logRecordProcessors: [],
      instrumentations: [],
      textMapPropagator: propagator,
      contextManager: new AsyncLocalStorageContextManager(),
    });
    sdk.start();
    return {
      shutdown: async () => {
        await sdk.shutdown();
        disableGlobals();
      },
    };
  }
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': opts.service }) });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(propagator);
  trace.setGlobalTracerProvider(provider);
  return {
    shutdown: async () => {
      await provider.shutdown();
      disableGlobals();
    },
  };
}

/** OTEL_EXPORTER_OTLP_ENDPOINT is a base URL; the HTTP exporter wants the signal path (OTLP spec, "Endpoint URLs"). */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

function disableGlobals(): void {
  trace.disable();
  context.disable();
  propagation.disable();
}

const setterAdapter: TextMapSetter<(name: string, value: string) => void> = {
  set: (set, key, value) => set(key, value),
};

const getterAdapter: TextMapGetter<(name: string) => string | undefined> = {
  // The W3C propagator reads only `traceparent` and `tracestate`, so keys() is never needed.
  keys: () => [],
  get: (get, key) => {
    const v = get(key);
    return v === '' ? undefined : v;
  },
};

/**
 * Writes `traceparent` (and `tracestate`) for `ctx` (default: the active context) through `set`, e.g.
 * `(k, v) => hdrs.set(k, v)` for NATS headers. Does nothing when there is no valid span context.
 */
export function injectTraceHeaders(set: (name: string, value: string) => void, ctx: Context = context.active()): void {
  propagation.inject(ctx, set, setterAdapter);
}

/** The context carried by `traceparent`/`tracestate` read through `get` (e.g. `(k) => msg.headers?.get(k)`). */
export function extractTraceContext(
  get: (name: string) => string | undefined,
  parent: Context = context.active(),
): Context {
  return propagation.extract(parent, get, getterAdapter);
}

/** The trace id of the active span, or undefined (for log correlation). */
export function currentTraceId(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc !== undefined && isSpanContextValid(sc) ? sc.traceId : undefined;
}

export const SpanKinds = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
} as const;
export type SpanKindName = keyof typeof SpanKinds;

export type SpanOptions = {
  /** Parent context (e.g. from extractTraceContext); default: the active context. */
  parent?: Context;
  kind?: SpanKindName;
};

/**
 * Runs `fn` inside a new active span; the span ends when `fn` settles, with status ERROR and the exception
 * recorded if it throws (the error is rethrown unchanged).
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
  opts: SpanOptions = {},
): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = trace
    .getTracer(TRACER_NAME)
    .startSpan(name, { attributes, kind: SpanKinds[opts.kind ?? 'internal'] }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    throw err;
  } finally {
    span.end();
  }
}

export type ProducerSpan = {
  /** Writes this span's `traceparent`/`tracestate` through `set` (e.g. into NATS headers). */
  inject(set: (name: string, value: string) => void): void;
  /** Ends the span; with an error, records it and marks the span failed. */
  end(err?: unknown): void;
};

/**
 * A producer span for fire-and-forget sends that must not become async in the caller (hot-path publishes): a
 * child of the active context, or a new trace when there is none, so every message carries a `traceparent`.
 */
export function startProducerSpan(
  name: string,
  attributes: Attributes,
  parent: Context = context.active(),
): ProducerSpan {
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { attributes, kind: SpanKind.PRODUCER }, parent);
  const ctx = trace.setSpan(parent, span);
  return {
    inject: (set) => propagation.inject(ctx, set, setterAdapter),
    end: (err) => {
      if (err !== undefined) {
        span.recordException(err instanceof Error ? err : String(err));
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      }
      span.end();
    },
  };
}
