export * from './queues.js';
export * from './summary-scope.js';
