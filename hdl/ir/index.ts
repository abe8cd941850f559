export * from './types.js';
export * from './shape.js';
export * from './bits.js';
export * from './dump.js';
export * from './walk.js';
export * from './clocking.js';
