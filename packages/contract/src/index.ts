export * from './errors.js';
export * from './validation.js';
export * from './primitives.js';
export * from './rest.js';
export * from './socket.js';
export * from './commands.js';
export * from './jobs.js';
