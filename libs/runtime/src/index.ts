export { resolveConfig, serviceConfigSchema, type ConfigOutcome } from './config.js';
export { runMain, type ProcessEdge } from './main.js';
export { startService, type RunningService, type ServiceContext, type ServiceHandle } from './service.js';
export { stopOnSignals } from './signals.js';
