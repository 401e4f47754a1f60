export { LOG_LEVELS, telemetryConfigSchema, type LogLevel, type TelemetryConfig } from './config.js';
export { OpsServerError, TelemetryErrorCode } from './errors.js';
export { createLogger, REDACT_PATHS, type Logger, type LoggerOptions } from './logger.js';
export { createRegistry, metricPrefix } from './metrics.js';
export {
  startOpsServer,
  type OpsServer,
  type OpsServerOptions,
  type ReadinessCheck,
  type ReadinessReport,
} from './ops-server.js';
export {
  currentTraceId,
  extractTraceContext,
  injectTraceHeaders,
  SpanKinds,
  startProducerSpan,
  startTracing,
  tracesUrl,
  withSpan,
  type Attributes,
  type ProducerSpan,
  type Span,
  type SpanKindName,
  type SpanOptions,
  type TraceContext,
  type Tracing,
  type TracingOptions,
} from './tracing.js';
