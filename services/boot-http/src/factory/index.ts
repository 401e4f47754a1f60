export { factoryConfigSchema, factoryConfigShape, parseByteSize, type FactoryConfig } from './config.js';
export { FactoryError, FACTORY_ERROR_CODES, type FactoryErrorCode } from './errors.js';
export {
  brokenSchematics,
  createSchematicClient,
  fixedSchematics,
  renderSchematic,
  type SchematicPort,
  type SchematicRequest,
} from './schematic.js';
export { createFactory, type FactoryService, type FactoryServiceOptions } from './service.js';
export { factoryRoutes, type FactoryRoutesOptions } from './routes.js';
export { FactoryCache, cacheHash, type CachedBody, type FactoryCacheOptions } from './cache.js';
export { createUpstream, type Upstream } from './upstream.js';
export { rewritePxeScript } from './pxe-rewrite.js';
