import { redisKeys } from '@chat/runtime';
import type { PresenceRedis } from './presence.scripts.js';

export interface PresenceDrop {
  roomId: string;
  userId: string;
}

const ROOM_KEY_PREFIX = redisKeys.presenceRoom('');

export interface SweepOptions {
  /** Sweep even though the heartbeat is alive (a replica clearing its own presence). */
  force: boolean;
  /** Members removed per script call, so Redis is never blocked for long. */
  batch: number;
}

export interface SweepResult {
  /** Users whose count in a room dropped to 0. */
  offline: PresenceDrop[];
  /** Every (room, user) of the members counted out, each once: the dead sockets' typing ends there. */
  swept: PresenceDrop[];
}

/**
 * Counts out every member a replica holds if its heartbeat has expired (or
 * `force`). Safe to run on several replicas at once: each member is popped by
 * exactly one caller.
 */
export async function sweepReplica(redis: PresenceRedis, replicaId: string, options: SweepOptions): Promise<SweepResult> {
  const offline: PresenceDrop[] = [];
  const swept = new Map<string, PresenceDrop>();
  for (;;) {
    const [remaining, offlineNow, sweptNow] = await redis.chatPresenceSweep(
      redisKeys.presenceReplica(replicaId),
      redisKeys.replicaHeartbeat(replicaId),
      redisKeys.replicas,
      replicaId,
      options.batch,
      options.force ? '1' : '0',
      ROOM_KEY_PREFIX,
    );
    offline.push(...offlineNow.flatMap(toDrop));
    for (const pair of sweptNow) for (const drop of toDrop(pair)) swept.set(pair, drop);
    if (remaining <= 0) return { offline, swept: [...swept.values()] };
  }
}

function toDrop(pair: string): PresenceDrop[] {
  const [roomId, userId] = pair.split('|');
  return roomId && userId ? [{ roomId, userId }] : [];
}

/** Replica ids other than `self` whose heartbeat has expired. */
export async function deadReplicas(redis: PresenceRedis, self: string): Promise<string[]> {
  const ids = (await redis.smembers(redisKeys.replicas)).filter((id) => id !== self);
  if (ids.length === 0) return [];
  const alive = await Promise.all(ids.map((id) => redis.exists(redisKeys.replicaHeartbeat(id))));
  return ids.filter((_, i) => alive[i] === 0);
}
