export * from './message.mapper.js';
export * from './message.store.js';
export * from './message.history.js';
export * from './request-id.js';
export * from './message.channel.js';
