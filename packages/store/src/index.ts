export * from './entities.js';
export * from './orm.js';
export * from './messages/message.row.js';
export * from './messages/message.store.js';
export * from './messages/message.history.js';
export * from './rooms/room-last-seq.js';
export * from './pg-errors.js';
