import type { RedisClient } from '@chat/runtime';

/*
 * Atomic steps on the presence data model (packages/runtime/src/redis/keys.ts):
 *   presence:{presence}:room:<roomId>       hash userId → joined sockets across replicas
 *   presence:{presence}:replica:<replicaId> set of `${roomId}|${userId}|${socketId}` this replica counted
 *   presence:{presence}:alive:<replicaId>   heartbeat, expires when the replica dies
 *   presence:{presence}:replicas            set of replica ids that hold presence
 * The replica set is what makes every step idempotent: a member is counted in the
 * room hash exactly while it is in its replica's set. The sweep touches the room
 * hashes of many rooms; every presence key shares one hash slot ({presence}), so on
 * a Redis Cluster they all live on one master and the scripts run there.
 */

/** Counts a member in; returns the user's new count in the room (1: came online) or -1 if it was counted already. */
const JOIN = `
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return -1 end
redis.call('SADD', KEYS[3], ARGV[3])
return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
`;

/** Counts a member out; returns the user's new count (0: went offline) or -1 if it was not counted. */
const LEAVE = `
if redis.call('SREM', KEYS[2], ARGV[2]) == 0 then return -1 end
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 0
end
return n
`;

/**
 * Removes up to ARGV[2] members of a replica whose heartbeat is gone (or any
 * replica when ARGV[3] = '1'). SPOP hands each member to exactly one caller, so
 * survivors sweeping at once never count a member out twice. Returns
 * {remaining, {"roomId|userId" that went offline…}, {every "roomId|userId"
 * counted out, once}}, or {-1, {}, {}} while the replica is alive.
 */
const SWEEP = `
if ARGV[3] ~= '1' and redis.call('EXISTS', KEYS[2]) == 1 then return {-1, {}, {}} end
local members = redis.call('SPOP', KEYS[1], tonumber(ARGV[2]))
local offline = {}
local swept = {}
local seen = {}
for _, member in ipairs(members) do
  local roomId, userId = string.match(member, '^([^|]+)|([^|]+)|')
  if roomId then
    local pair = roomId .. '|' .. userId
    if not seen[pair] then
      seen[pair] = true
      table.insert(swept, pair)
    end
    local key = ARGV[4] .. roomId
    local n = redis.call('HINCRBY', key, userId, -1)
    if n <= 0 then
      redis.call('HDEL', key, userId)
      table.insert(offline, pair)
    end
  end
end
local remaining = redis.call('SCARD', KEYS[1])
if remaining == 0 then redis.call('SREM', KEYS[3], ARGV[1]) end
return {remaining, offline, swept}
`;

/** Renews the heartbeat; returns 1 if it was still there, 0 if it had lapsed (our presence may have been swept). */
const HEARTBEAT = `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return existed
`;

export interface PresenceCommands {
  chatPresenceJoin(roomKey: string, replicaKey: string, replicasKey: string, userId: string, member: string, replicaId: string): Promise<number>;
  chatPresenceLeave(roomKey: string, replicaKey: string, userId: string, member: string): Promise<number>;
  chatPresenceSweep(
    replicaKey: string,
    heartbeatKey: string,
    replicasKey: string,
    replicaId: string,
    batch: number,
    force: '0' | '1',
    roomKeyPrefix: string,
  ): Promise<[number, string[], string[]]>;
  chatPresenceHeartbeat(heartbeatKey: string, replicasKey: string, ttlMs: number, replicaId: string, stamp: string): Promise<number>;
}

export type PresenceRedis = RedisClient & PresenceCommands;

/** Defines the presence scripts on a client (once; EVALSHA with a fallback to EVAL). */
export function withPresenceCommands(redis: RedisClient): PresenceRedis {
  const client = redis as PresenceRedis;
  if (typeof client.chatPresenceJoin !== 'function') {
    redis.defineCommand('chatPresenceJoin', { numberOfKeys: 3, lua: JOIN });
    redis.defineCommand('chatPresenceLeave', { numberOfKeys: 2, lua: LEAVE });
    redis.defineCommand('chatPresenceSweep', { numberOfKeys: 3, lua: SWEEP });
    redis.defineCommand('chatPresenceHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT });
  }
  return client;
}
