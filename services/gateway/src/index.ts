export { createGateway, type Gateway, type GatewayDeps } from './gateway.js';
export type { GatewayOptions } from './options.js';
export { replicaOfSessionId } from './socket/session-id.js';
