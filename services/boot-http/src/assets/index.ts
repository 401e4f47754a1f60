export { assetsConfigSchema, assetsConfigShape, DEFAULT_ASSETS_DIR, type AssetsConfig } from './config.js';
export { assetRoutes, DEFAULT_CHUNK_BYTES, type AssetRoutesOptions } from './local-routes.js';
export { ipxeBinRoutes, type IpxeBinRoutesOptions } from './ipxe-routes.js';
export {
  arm64DirFor,
  loadIpxeBinaries,
  IPXE_FILES,
  type IpxeArch,
  type IpxeBinary,
  type IpxeStoreResult,
} from './ipxe-store.js';
export {
  createAssetReporter,
  type AssetReporter,
  type AssetReporterOptions,
  type AssetSource,
  type PublishAssetEvent,
  type ResolveMachine,
} from './report.js';
export { assetKindFor, contentTypeFor, type AssetKind } from './content-type.js';
export { decide, type Decision, type Representation } from './representation.js';
