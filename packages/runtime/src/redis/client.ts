import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ClusterSubscriber, type ShardedSubscriber } from './cluster-subscriber.js';

export { Cluster, Redis };

/** A single Redis or a Redis Cluster: every service takes either (`REDIS_URL` or `REDIS_CLUSTER_NODES`). */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server's URL, or the nodes of a cluster (with the URL's password, if any). */
export interface RedisTarget {
  url: string;
  /** `host:port` of some of a Redis Cluster's nodes; when set, `url` only lends its credentials. */
  clusterNodes?: readonly string[] | undefined;
}

/** How long a command on a command connection may wait for its reply. */
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;

export interface CreateRedisOptions extends RedisOptions {
  /** A BullMQ worker's connection: commands wait out outages, and its blocking commands have no timeout. */
  forWorker?: boolean;
  /** A subscriber's connection on a single Redis: commands wait out outages, SSUBSCRIBE has no timeout (see createSubscriber). */
  forSubscriber?: boolean;
}

/**
 * An ioredis client of a single Redis or a Redis Cluster. A command connection
 * gives each command `REDIS_COMMAND_TIMEOUT_MS` to answer ("Command timed out"), so
 * a Redis that hangs rather than refuses cannot hold a caller forever. Connections
 * that must wait (`forWorker`, `forSubscriber`, or an explicit `maxRetriesPerRequest:
 * null`) get none; explicit options win. Command connections do not auto-pipeline:
 * ioredis holds an auto-pipeline back until the one before it has all its replies,
 * and a command's timeout only starts once it is sent, so behind a hung Redis each
 * queued pipeline would wait one more timeout.
 */
export function createRedis(target: RedisTarget | string, options: CreateRedisOptions = {}): RedisClient {
  const { url, clusterNodes } = typeof target === 'string' ? { url: target, clusterNodes: undefined } : target;
  const { forWorker, forSubscriber, ...rest } = options;
  if (forSubscriber === true && typeof target !== 'string' && target.clusterNodes?.length) {
    throw new Error('a subscriber on a Redis Cluster is made by createSubscriber');
  }
  const waits = forWorker === true || forSubscriber === true || rest.maxRetriesPerRequest === null;
  const redisOptions: RedisOptions = {
    lazyConnect: false,
    maxRetriesPerRequest: waits ? null : 2,
    connectTimeout: 5_000,
    ...(waits ? { enableAutoPipelining: true } : { enableAutoPipelining: false, commandTimeout: REDIS_COMMAND_TIMEOUT_MS }),
    ...rest,
  };
  if (!clusterNodes || clusterNodes.length === 0) return new Redis(url, redisOptions);

  const { enableAutoPipelining, lazyConnect, ...nodeOptions } = redisOptions;
  const clusterOptions: ClusterOptions = {
    lazyConnect,
    enableAutoPipelining,
    // A failover moves slots: retry a command that met one for a while, and reconnect to nodes that come back.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
    redisOptions: { ...nodeOptions, ...credentialsOf(url) },
  };
  return new Cluster(startupNodes(clusterNodes), clusterOptions);
}

/**
 * A connection for sharded-channel subscriptions (the Socket.IO adapter's, the room and
 * control channels): on a single Redis an ioredis client whose commands wait out outages;
 * on a cluster a ClusterSubscriber, one connection per master, that follows failovers.
 */
export function createSubscriber(target: RedisTarget | string, options: RedisOptions = {}): ShardedSubscriber {
  const { url, clusterNodes } = typeof target === 'string' ? { url: target, clusterNodes: undefined } : target;
  if (!clusterNodes || clusterNodes.length === 0) return createRedis(url, { ...options, forSubscriber: true }) as Redis as unknown as ShardedSubscriber;
  return new ClusterSubscriber(startupNodes(clusterNodes), {
    connectTimeout: 5_000,
    enableAutoPipelining: true,
    ...options,
    ...credentialsOf(url),
  });
}

function credentialsOf(url: string): Pick<RedisOptions, 'username' | 'password'> {
  const credentials = new URL(url);
  return {
    ...(credentials.password ? { password: decodeURIComponent(credentials.password) } : {}),
    ...(credentials.username ? { username: decodeURIComponent(credentials.username) } : {}),
  };
}

const startupNodes = (nodes: readonly string[]): { host: string; port: number }[] =>
  nodes.map((node) => {
    const [host, port] = splitHostPort(node);
    return { host, port };
  });

function splitHostPort(node: string): [string, number] {
  const at = node.lastIndexOf(':');
  return [node.slice(0, at).replace(/^\[|\]$/g, ''), Number(node.slice(at + 1))];
}

/** The connection's options (a cluster's are its nodes' options). */
export function redisOptionsOf(client: RedisClient): RedisOptions {
  return client instanceof Cluster ? (client.options.redisOptions ?? {}) : client.options;
}
