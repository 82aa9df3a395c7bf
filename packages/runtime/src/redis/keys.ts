/** Every Redis key and channel the services share, named in one place. */
export const redisKeys = {
  /** A logged-out token id; the key lives until the token would have expired. */
  revokedToken: (tokenId: string) => `auth:revoked:${tokenId}`,
  /** Hash field `${userId}` → count of that user's joined sockets in the room, across replicas. */
  presenceRoom: (roomId: string) => `presence:room:${roomId}`,
  /** Per-replica set of `${roomId}|${userId}|${socketId}` it holds. */
  presenceReplica: (replicaId: string) => `presence:replica:${replicaId}`,
  /** A replica's heartbeat; expires when the replica dies. */
  replicaHeartbeat: (replicaId: string) => `presence:alive:${replicaId}`,
  /** Set of every replica id that holds presence. */
  replicas: 'presence:replicas',
  /**
   * Pub/sub channel of every stored message (JSON), from whoever stored it (gateways, API,
   * bot workers) to every gateway, which delivers each room's messages to its sockets in seq order.
   */
  messageChannel: 'chat:messages',
  /**
   * A user's sends of one kind in the current one-minute window. Every rate-limit key shares
   * one hash slot ({rl}), so one script call can spend the budgets of a whole group commit,
   * on a Redis Cluster too.
   */
  rateLimit: (kind: 'messages' | 'commands', userId: string) => `ratelimit:{rl}:${kind}:${userId}`,
  /** Set once a bot job's reply went out: the job (re-run, re-added) never sends it again. */
  botReplySent: (jobId: string) => `bot:sent:${jobId}`,
  /** Prefix of the Socket.IO Redis adapter's channels. */
  adapterPrefix: 'socket.io',
} as const;
