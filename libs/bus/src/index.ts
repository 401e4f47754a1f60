export { busConfigSchema, NAMESPACE_RE, type BusConfig } from './config.js';
export { connectBus, connectionOptions, redactUrl, type Bus, type ConnectBusOptions } from './connect.js';
export { consumerConfig, type ConsumerSettings } from './consumer-setup.js';
export {
  durableConsumer,
  type ConsumerMessage,
  type DurableConsumer,
  type DurableConsumerOptions,
  type FilterKind,
  type HandlerResult,
} from './consumer.js';
export { BusError, BusErrorCode } from './errors.js';
export { createBusMetrics, type BusMetrics } from './metrics.js';
export { createNames, type Names } from './names.js';
export {
  bucketStreamConfig,
  ensureStream,
  machinesStreamConfig,
  provision,
  PROVISION_DEFAULTS,
  type BucketLimits,
  type ProvisionOptions,
  type ProvisionOutcome,
  type ProvisionReport,
} from './provision.js';
export { DropReason } from './publish.js';
export { busReadiness } from './readiness.js';
export type { BusCore, BusStatus, PublishOptions } from './core.js';
export { createKvWriter, type KvWriter } from './kv-writer.js';
export { createView, type View, type ViewChange, type ViewOptions } from './view.js';
