export * from './entities.js';
export * from './orm.js';
