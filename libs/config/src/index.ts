export * from './parse.js';
export * from './fields.js';
export * from './byte-size.js';
export * from './table.js';
