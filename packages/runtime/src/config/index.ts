import { apiShape } from './api.config.js';
import { jwtSecretRule } from './common.js';
import { gatewayShape } from './gateway.config.js';
import { workerShape } from './worker.config.js';

export * from './env.js';
export type { ClientFacingConfig, ServiceConfig } from './common.js';
export * from './api.config.js';
export * from './gateway.config.js';
export * from './worker.config.js';

/**
 * Every variable some service reads (secrets included): what `npm run up`
 * passes on from its own environment to the services it starts.
 */
export const serviceVariableNames: readonly string[] = [
  ...new Set([...Object.keys(apiShape), ...Object.keys(gatewayShape), ...Object.keys(workerShape), jwtSecretRule.name]),
].sort();
