import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { clientFacingFields, clientFacingShape, jwtSecretRule, serviceFields, serviceShape, type ClientFacingConfig, type ServiceConfig } from './common.js';
import { env, parseEnv, type Env } from './env.js';

export interface GatewayConfig extends ServiceConfig, ClientFacingConfig {
  /** Messages per minute per user, across replicas. */
  messageLimit: number;
  /** Commands per minute per user, across replicas. */
  commandLimit: number;
  /** This replica's id; it also prefixes Engine.IO session ids for sticky routing. */
  replicaId: string;
  /** A dead replica's presence lapses after this many seconds. */
  presenceTtl: number;
  maxHttpBufferSize: number;
  /** Longest a send waits to be grouped with others into one commit, in ms. */
  commitDelayMs: number;
  /** Sockets one user may hold across every replica; over it a handshake is refused `rate_limited`. */
  maxSocketsPerUser: number;
}

export const gatewayShape = {
  ...serviceShape(3101),
  ...clientFacingShape,
  RATE_LIMIT_MESSAGES: env.int(60),
  RATE_LIMIT_COMMANDS: env.int(10),
  REPLICA_ID: env.optionalString(),
  PRESENCE_TTL: env.seconds('10s'),
  MAX_HTTP_BUFFER_SIZE: env.int(64 * 1024),
  COMMIT_DELAY_MS: env.int(5, 0, 1000),
  MAX_SOCKETS_PER_USER: env.int(20, 1),
};

export function loadGatewayConfig(source: Env = process.env): GatewayConfig {
  const e = parseEnv(gatewayShape, source, [jwtSecretRule]);
  const replicaId = e.REPLICA_ID ?? `${hostname()}-${randomUUID().slice(0, 8)}`;
  return {
    ...serviceFields(e),
    ...clientFacingFields(e),
    messageLimit: e.RATE_LIMIT_MESSAGES,
    commandLimit: e.RATE_LIMIT_COMMANDS,
    replicaId: replicaId.replace(/[^A-Za-z0-9_-]/g, '-'),
    presenceTtl: e.PRESENCE_TTL,
    maxHttpBufferSize: e.MAX_HTTP_BUFFER_SIZE,
    commitDelayMs: e.COMMIT_DELAY_MS,
    maxSocketsPerUser: e.MAX_SOCKETS_PER_USER,
  };
}
