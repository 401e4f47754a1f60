// The TFTP area of dhcp-proxy, for main.ts and the service factory.
export { tftpConfigSchema, toTftpOptions } from './config.js';
export type { TftpConfig, TftpOptions } from './config.js';
export { createBootFiles, loadBootFiles, normaliseRequestPath } from './files.js';
export type { BootFile, BootFiles, LoadedBootFiles, SkippedFile } from './files.js';
export { createTftpServer } from './server.js';
export type { FailureReason, TftpServer, TftpServerOptions, TransferCompleted, TransferFailed } from './server.js';
export { TftpError } from './errors.js';
export type { TftpErrorCode } from './errors.js';
