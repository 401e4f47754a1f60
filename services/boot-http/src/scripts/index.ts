// The script half of boot-http, for src/app.ts.
export { scriptRoutes, type ScriptRoutesOptions } from './routes.js';
export { scriptConfigShape, scriptConfigSchema, scriptSettingsFromConfig, type ScriptConfig } from './config.js';
export type { ScriptSettings, FactoryPort, CmdlineReader, DiskBootMethod, AgentAssetSource } from './settings.js';
export type { ScriptState, KeyedReader, GroupIndexSource } from './state.js';
export { fixedState, emptyState, brokenState, type FixedStateData } from './state-fakes.js';
export { scriptMetrics, type ScriptPublisher } from './observe.js';
export { ScriptError, type ScriptErrorCode } from './errors.js';
export { AGENT_EXTENSIONS } from './kernel-args.js';
export { createRequestHints, type RequestHint, type RequestHints } from './request-hints.js';
export {
  warmSchematics,
  type SchematicWarmer,
  type WarmResult,
  type WarmSchematicsOptions,
} from './warm-schematics.js';
