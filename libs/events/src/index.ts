export * from './identity.js';
export * from './errors.js';
export * from './common.js';
export * from './events.js';
export * from './subjects.js';
export * from './codec.js';
export * from './records.js';
