export * from './parse.js';
export * from './fields.js';
export * from './table.js';
