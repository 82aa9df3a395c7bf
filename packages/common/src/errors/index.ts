export * from './app-error.js';
export * from './zod-error.js';
