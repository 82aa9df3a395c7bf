/**
 * Every Redis key and channel the services share, named in one place. On a Redis
 * Cluster, what one script or one sharded message touches shares a hash slot (the
 * part in braces): all of presence, all rate limits, and each room's channel with its
 * bot-reply markers.
 */
export const redisKeys = {
  /**
   * A logged-out token id; the key lives until the token would have expired. It, the deleted
   * accounts and the `loaded` marker share a slot ({auth}): one MGET checks a token.
   */
  revokedToken: (tokenId: string) => `auth:{auth}:revoked:${tokenId}`,
  /** A deleted account: every token of it is refused while one could still be unexpired. */
  deletedUser: (userId: string) => `auth:{auth}:deleted:${userId}`,
  /** Set once the denylist was loaded from PostgreSQL; gone when Redis lost its data. */
  revocationsLoaded: 'auth:{auth}:loaded',
  /** A user's sockets across replicas (sorted set of `${replicaId}|${socketId}`, scored by when each lapses). */
  userSockets: (userId: string) => `sockets:{${userId}}`,
  /** Hash field `${userId}` → count of that user's joined sockets in the room, across replicas. */
  presenceRoom: (roomId: string) => `presence:{presence}:room:${roomId}`,
  /** Per-replica set of `${roomId}|${userId}|${socketId}` it holds. */
  presenceReplica: (replicaId: string) => `presence:{presence}:replica:${replicaId}`,
  /** A replica's heartbeat; expires when the replica dies. */
  replicaHeartbeat: (replicaId: string) => `presence:{presence}:alive:${replicaId}`,
  /** Set of every replica id that holds presence. */
  replicas: 'presence:{presence}:replicas',
  /**
   * A room's sharded channel: its stored messages (JSON, from whoever stored them: gateways,
   * the API, bot workers) and its AI answer deltas, to the gateways that hold a socket in it.
   */
  roomChannel: (roomId: string) => `chat:room:{${roomId}}`,
  /** The sharded channel every gateway reads: sessions to end, rooms a user left (rare events, for all). */
  controlChannel: 'chat:control',
  /**
   * A user's sends of one kind in the current one-minute window. Every rate-limit key shares
   * one hash slot ({rl}), so one script call can spend the budgets of a whole group commit.
   */
  rateLimit: (kind: 'messages' | 'commands', userId: string) => `ratelimit:{rl}:${kind}:${userId}`,
  /** Set once a bot job's reply went out (the job, re-run or re-added, never sends it again); in its room's slot. */
  botReplySent: (roomId: string, jobId: string) => `bot:sent:{${roomId}}:${jobId}`,
  /** Prefix of the Socket.IO Redis adapter's channels. */
  adapterPrefix: 'socket.io',
  /** Prefix of the BullMQ queues' keys: one slot per queue ({bull}), as BullMQ asks on a cluster. */
  queuePrefix: '{bull}',
} as const;
