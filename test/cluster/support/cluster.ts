import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster, type Cluster } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { connect, replicaOf, type ChatSocket, type ConnectOptions } from '../../../services/gateway/test/support/client.js';
import { loginUser, registerUser, type TestUser } from '../../support/users.js';

export interface ChatCluster {
  cluster: Cluster;
  /** nginx: the one public entry. */
  url: string;
  /** A user registered through the SDK (its REST in `client.rest`), named `prefix` and a random suffix. */
  register(prefix: string): Promise<TestUser>;
  /** Another session of a user, with a token of its own. */
  login(username: string): Promise<TestUser>;
  replicaIds: string[];
  /** A socket through nginx that landed on `replicaId` (new sessions are spread, so a few tries do it). */
  connectTo(replicaId: string, token: string, options?: ConnectOptions): Promise<ChatSocket>;
  /** `connectTo` the `replica`th gateway; the socket is closed by `stop`. */
  on(replica: number, token: string): Promise<ChatSocket>;
  stop(): Promise<void>;
}

/**
 * API, `gateways` gateway processes and nginx, on a private Redis (a Redis Cluster under
 * CHAT_REDIS_SHARDS, or as `redis` asks) and a fresh database.
 */
export async function startChatCluster(
  gateways: 2 | 3,
  gatewayEnv: Record<string, string> = {},
  redis: { shards?: number; replicas?: number } = {},
): Promise<ChatCluster> {
  const cluster = await startCluster({
    databaseUrl: await useTestDatabase(),
    gateways,
    redisShards: redis.shards,
    redisReplicas: redis.replicas,
    gatewayEnv: { ...(process.env.CLUSTER_LOG_LEVEL ? { LOG_LEVEL: process.env.CLUSTER_LOG_LEVEL } : {}), ...gatewayEnv },
    echo: process.env.CLUSTER_ECHO === '1',
  });
  const url = cluster.url;
  const opened: ChatSocket[] = [];
  const replicaIds = cluster.gateways.map((g) => g.env.REPLICA_ID!);
  const chat: ChatCluster = {
    cluster,
    url,
    register: (prefix) => registerUser(url, prefix),
    login: (username) => loginUser(url, username),
    replicaIds,
    connectTo: async (replicaId, token, options = {}) => {
      // nginx sends a new session to the gateway with the fewest active connections in
      // its pool, where only WebSocket sessions stay (a polling session's later requests
      // go to its owner's own upstream). Holding WebSocket misses open, and a WebSocket as
      // ballast in place of a polling miss, moves that choice along until the target is hit.
      // A polling miss holds nothing in that pool, so it is closed at once: it would only
      // hold one more of the user's places under MAX_SOCKETS_PER_USER.
      const misses: ChatSocket[] = [];
      try {
        for (let attempt = 0; attempt < 30; attempt++) {
          const socket = await connect(url, token, options);
          if (replicaOf(socket) === replicaId) return socket;
          if (socket.io.engine.transport.name === 'websocket') misses.push(socket);
          else {
            socket.close();
            misses.push(await connect(url, token));
          }
        }
      } finally {
        for (const socket of misses) socket.close();
      }
      throw new Error(`no session landed on ${replicaId} in 30 tries`);
    },
    on: async (replica, token) => {
      const socket = await chat.connectTo(replicaIds[replica]!, token);
      opened.push(socket);
      return socket;
    },
    stop: async () => {
      for (const socket of opened) socket.close();
      await cluster.stop();
      // CLUSTER_LOG_DIR=/some/dir keeps each process's output for a look after the run.
      const dir = process.env.CLUSTER_LOG_DIR;
      if (dir) {
        for (const service of [cluster.api, ...cluster.gateways]) {
          await writeFile(join(dir, `${service.name}-${Date.now()}.log`), service.process.output());
        }
      }
    },
  };
  return chat;
}
