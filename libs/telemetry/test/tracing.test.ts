import {
  currentTraceId,
  extractTraceContext,
  injectTraceHeaders,
  startTracing,
  tracesUrl,
  withSpan,
} from '@metalbus/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('tracing without an exporter', () => {
  let shutdown: () => Promise<void> = async () => undefined;
  beforeAll(() => {
    shutdown = startTracing({ service: 'test' }).shutdown;
  });
  afterAll(() => shutdown());

  it('creates real trace ids and nests spans', async () => {
    expect(currentTraceId()).toBeUndefined();
    const ids = await withSpan('outer', { a: 1 }, async (outer) => {
      const inner = await withSpan('inner', {}, async (span) => span.spanContext());
      return { outer: outer.spanContext().traceId, inner: inner.traceId, current: currentTraceId() };
    });
    expect(ids.outer).toMatch(/^[0-9a-f]{32}$/);
    expect(ids).toEqual({ outer: ids.outer, inner: ids.outer, current: ids.outer });
  });

  it('carries the context through traceparent headers', async () => {
    const headers = new Map<string, string>();
    const sent = await withSpan('send', {}, async (span) => {
      injectTraceHeaders((k, v) => headers.set(k, v));
      return span.spanContext();
    });
    expect([...headers.keys()]).toEqual(['traceparent']);
    expect(headers.get('traceparent')).toBe(`00-${sent.traceId}-${sent.spanId}-01`);
    const ctx = extractTraceContext((k) => headers.get(k));
    expect(currentTraceId(ctx)).toBe(sent.traceId);
    const child = await withSpan('receive', {}, async (span) => span.spanContext(), { parent: ctx, kind: 'consumer' });
    expect(child.traceId).toBe(sent.traceId);
  });

  it('ignores missing or malformed traceparent', () => {
    expect(currentTraceId(extractTraceContext(() => undefined))).toBeUndefined();
    expect(currentTraceId(extractTraceContext((k) => (k === 'traceparent' ? 'garbage' : '')))).toBeUndefined();
  });

  it('injects nothing outside a span', () => {
    const headers = new Map<string, string>();
    injectTraceHeaders((k, v) => headers.set(k, v));
    expect(headers.size).toBe(0);
  });

  it('rethrows errors from the span body', async () => {
    await expect(withSpan('fails', {}, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});

describe('tracesUrl', () => {
  it('appends the OTLP traces path to a base URL once', () => {
    expect(['http://otel:4318', 'http://otel:4318/', 'http://otel:4318/v1/traces'].map(tracesUrl)).toEqual([
      'http://otel:4318/v1/traces',
      'http://otel:4318/v1/traces',
      'http://otel:4318/v1/traces',
    ]);
  });
});
