import { TYPING_TTL_MS } from '@chat/contract';

/** Tuning of one gateway; every field has a default. */
export interface GatewayOptions {
  /** Socket.IO's HTTP path. @default '/socket.io' */
  path?: string;
  /** Most messages stored by one group commit. @default 100 */
  maxBatchSize?: number;
  /** Group commits written at once (two batches never share a room). @default 4 */
  maxConcurrentCommits?: number;
  /** How often the presence heartbeat is renewed. @default config.presenceTtl × 1000 / 3 */
  heartbeatIntervalMs?: number;
  /** How often survivors look for replicas whose heartbeat expired. @default 2000 */
  sweepIntervalMs?: number;
  /** Members removed per sweep script call. @default 500 */
  sweepBatch?: number;
  /** How long `typing: true` lasts without renewal. @default TYPING_TTL_MS (5000) */
  typingTtlMs?: number;
  /** Longest each shutdown step (flush sends, close sockets, clear presence) may take. @default 10000 */
  shutdownStepTimeoutMs?: number;
  /**
   * Longest an event handler may take before its ack is `unavailable` (a Redis
   * or PostgreSQL that hangs rather than refuses); a later outcome is dropped,
   * never answered twice. @default 10000
   */
  ackTimeoutMs?: number;
  /**
   * How long a room's next seq is awaited on the wire, while later ones wait, before it is read
   * from PostgreSQL (its publisher died between commit and publish). @default 250
   */
  gapTimeoutMs?: number;
  /** Engine.IO heartbeat. @default 25000 */
  pingIntervalMs?: number;
  /** @default 20000 */
  pingTimeoutMs?: number;
  /** How often this replica renews its sockets' places under the per-user cap (a dead replica's lapse after 3×). @default 30000 */
  socketQuotaRenewMs?: number;
}

export type ResolvedGatewayOptions = Required<GatewayOptions>;

export function resolveGatewayOptions(options: GatewayOptions, presenceTtlSeconds: number): ResolvedGatewayOptions {
  const resolved: ResolvedGatewayOptions = {
    path: '/socket.io',
    maxBatchSize: 100,
    maxConcurrentCommits: 4,
    heartbeatIntervalMs: Math.max(200, Math.floor((presenceTtlSeconds * 1000) / 3)),
    sweepIntervalMs: 2000,
    sweepBatch: 500,
    typingTtlMs: TYPING_TTL_MS,
    shutdownStepTimeoutMs: 10_000,
    ackTimeoutMs: 10_000,
    gapTimeoutMs: 250,
    pingIntervalMs: 25_000,
    pingTimeoutMs: 20_000,
    socketQuotaRenewMs: 30_000,
    ...withoutUndefined(options),
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value === 'number' && !(Number.isFinite(value) && value > 0)) {
      throw new RangeError(`gateway option ${name} must be a positive number, got ${value}`);
    }
  }
  return resolved;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
