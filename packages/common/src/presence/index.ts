export * from './presence.reader.js';
