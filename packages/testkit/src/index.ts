export * from './ports.js';
export * from './process.js';
export * from './redis.js';
export * from './postgres.js';
export * from './nginx.js';
export * from './services.js';
export * from './database.js';
export * from './cluster.js';
