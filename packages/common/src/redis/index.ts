export * from './keys.js';
export * from './client.js';
