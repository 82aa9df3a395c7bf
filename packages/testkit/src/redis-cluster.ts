import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from '@chat/runtime';
import { removeOnExit } from './lifetime.js';
import { freePort, isListening, waitFor, WaitAborted } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';

const run = promisify(execFile);

export interface RedisClusterNode {
  /** `127.0.0.1:<port>` */
  address: string;
  port: number;
  process: ManagedProcess;
}

export interface RedisCluster {
  /** Every node, masters and replicas, in start order. */
  nodes: RedisClusterNode[];
  /** `host:port` of every node: what REDIS_CLUSTER_NODES takes. */
  clusterNodes: string[];
  /** A URL of one node (REDIS_URL beside REDIS_CLUSTER_NODES only lends credentials; there are none). */
  url: string;
  /** The settings a service needs to use this cluster. */
  env: { REDIS_URL: string; REDIS_CLUSTER_NODES: string };
  /** The node that is master for `key`'s hash slot right now (a channel name counts as a key). */
  masterFor(key: string): Promise<RedisClusterNode>;
  /** Resolves once every slot is served again and every live node agrees the cluster is ok. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** @default 3 */
  masters?: number;
  /** @default 0 */
  replicasPerMaster?: number;
  /** How long a master may be unreachable before its replica takes over. @default 1000 */
  nodeTimeoutMs?: number;
  /**
   * Data directory (a folder per node inside); a temp dir removed on stop when omitted.
   * A cluster started again on the same directory and ports comes back as it was.
   */
  dataDir?: string;
  /** Keep an append-only file per node (as production does). @default false */
  appendOnly?: boolean;
  /** Node i listens on basePort + i (its bus on basePort + 10000 + i); free ports when omitted. */
  basePort?: number;
  echo?: boolean;
}

/**
 * A private Redis Cluster on free ports (`redis-server --cluster-enabled yes`, joined
 * with `redis-cli --cluster create`): `masters` masters sharing the 16384 slots, each
 * with `replicasPerMaster` replicas that take over when it dies.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  if (masters < 3) throw new Error('a Redis Cluster needs at least 3 masters');
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'chat-redis-cluster-')));
  const forgetDir = options.dataDir ? () => undefined : removeOnExit(dir);
  const nodes: RedisClusterNode[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.process.stop(5_000)));
  };

  const count = masters * (1 + replicas);
  const configured = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      access(join(dir, `node-${i}`, 'nodes.conf')).then(
        () => true,
        () => false,
      ),
    ),
  );
  try {
    for (let i = 0; i < count; i++) {
      const nodeDir = join(dir, `node-${i}`);
      await mkdir(nodeDir, { recursive: true });
      const [port, busPort] = options.basePort ? [options.basePort + i, options.basePort + 10_000 + i] : [await freePort(), await freePort()];
      const proc = startProcess(
        `redis-${port}`,
        'redis-server',
        [
          '--port', String(port),
          '--cluster-port', String(busPort),
          '--bind', '127.0.0.1',
          '--dir', nodeDir,
          '--save', '',
          '--appendonly', options.appendOnly ? 'yes' : 'no',
          '--maxmemory-policy', 'noeviction',
          '--protected-mode', 'yes',
          '--maxclients', '20000',
          '--cluster-enabled', 'yes',
          '--cluster-config-file', 'nodes.conf',
          '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 1_000),
          // A replica may always take over, however long it was cut off.
          '--cluster-replica-validity-factor', '0',
        ],
        { echo: options.echo },
      );
      nodes.push({ address: `127.0.0.1:${port}`, port, process: proc });
    }
    for (const node of nodes) {
      await waitFor(`redis-server on ${node.port}`, async () => {
        if (node.process.child.exitCode !== null) throw new WaitAborted(`redis-server exited: ${node.process.output()}`);
        return isListening(node.port);
      });
    }
    // Nodes that were a cluster before find each other again from their nodes.conf.
    if (!configured.every(Boolean)) {
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', String(replicas), '--cluster-yes'], {
        timeout: 60_000,
      });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  const clusterNodes = nodes.map((n) => n.address);
  const url = `redis://${clusterNodes[0]}`;
  const alive = (): RedisClusterNode[] => nodes.filter((n) => n.process.child.exitCode === null && n.process.child.signalCode === null);
  const ask = async <T>(node: RedisClusterNode, work: (redis: Redis) => Promise<T>): Promise<T> => {
    const redis = new Redis(node.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1_000, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      return await work(redis);
    } finally {
      redis.disconnect();
    }
  };

  const waitHealthy = async (timeoutMs = 30_000): Promise<void> => {
    await waitFor(
      'the Redis Cluster to serve every slot',
      async () => {
        const states = await Promise.all(alive().map((n) => ask(n, (r) => r.cluster('INFO') as Promise<string>)));
        return states.every((info) => /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info));
      },
      timeoutMs,
      100,
    );
  };
  await waitHealthy(60_000);

  let stopped: Promise<void> | undefined;
  return {
    nodes,
    clusterNodes,
    url,
    env: { REDIS_URL: url, REDIS_CLUSTER_NODES: clusterNodes.join(',') },
    waitHealthy,
    async masterFor(key) {
      const [node] = alive();
      if (!node) throw new Error('no Redis Cluster node is running');
      const { slot, shards } = await ask(node, async (r) => ({
        slot: Number(await r.cluster('KEYSLOT', key)),
        shards: await r.cluster('SLOTS'),
      }));
      const serving = shards.find(([from, to]) => slot >= from && slot <= to);
      const master = serving && nodes.find((n) => n.port === Number(serving[2]?.[1]));
      if (!master) throw new Error(`no master serves slot ${slot}`);
      return master;
    },
    stop: () =>
      (stopped ??= (async () => {
        await stopAll();
        if (!options.dataDir) {
          await rm(dir, { recursive: true, force: true });
          forgetDir();
        }
      })()),
  };
}
