export * from './ports.js';
export * from './process.js';
export { cleanUpNow, removeOnExit } from './lifetime.js';
export * from './redis.js';
export * from './postgres.js';
export * from './nginx.js';
export * from './services.js';
export * from './database.js';
export * from './cluster.js';
