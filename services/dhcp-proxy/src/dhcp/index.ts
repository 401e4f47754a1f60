// Public surface of the ProxyDHCP half, for src/main.ts and the service's wiring.

export { createDhcpServer } from './server.js';
export type { DhcpServer, DhcpServerOptions, DhcpServerStarted } from './server.js';
export { dhcpConfigSchema, dhcpSettingsFromConfig } from './config.js';
export type { DhcpConfig, DhcpSettings } from './config.js';
export { Debouncer } from './debounce.js';
export type { DebouncerOptions } from './debounce.js';
export type { ObservedFact, ServedFact } from './facts.js';
export type { DhcpMode, DropReason, Listener } from './decide.js';
export { DhcpModes, DropReasons } from './decide.js';
export type { Firmware, MachineArch } from './classify.js';
export { DhcpDecodeError, DhcpServerError } from './errors.js';
export type { DhcpDecodeErrorCode, DhcpServerErrorCode } from './errors.js';
