import {
  createMigratedDatabase,
  startNginx,
  startRedis,
  startRedisCluster,
  startService,
  TEST_JWT_SECRET,
  type ManagedProcess,
  type PostgresServer,
  type RunningService,
} from '@chat/testkit';
import { ChatClient } from '@chat/client';
import { inspectorUrl } from '../measure/gc.js';
import { mapLimit } from '../util.js';
import type { Account, ServerEndpoint, Target } from './target.js';

/** node's options that write a CPU profile named after `label` into `dir` at exit (none without a dir). */
export function profileArgs(dir: string | undefined, label: string): string[] {
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`] : [];
}

/**
 * Account and room setup over REST, shared by a local cluster and a remote --url: the SDK's
 * typed REST client, each call with the token of the account it acts for (one client, no
 * per-account state, so setup costs what the calls cost).
 */
function restTarget(apiUrl: string): Pick<Target, 'createAccounts' | 'createRoom' | 'addMember'> {
  const { rest } = new ChatClient({ baseUrl: apiUrl });
  return {
    // argon2id hashing makes registration the slow part of setup: keep it to a few at a time.
    createAccounts: (count, prefix) =>
      mapLimit(Array.from({ length: count }, (_, i) => i), 4, async (i): Promise<Account> => {
        const { token, user } = await rest.register({ body: { username: `${prefix}_${i}`, password: 'load-test-password' } });
        return { id: user.id, token };
      }),
    createRoom: async (owner, name) => (await rest.createRoom({ token: owner.token, body: { name } })).id,
    addMember: async (account, roomId) => {
      await rest.joinRoom({ token: account.token, params: { roomId } });
    },
  };
}

const pidOf = (managed: ManagedProcess): number[] => (managed.child.pid === undefined ? [] : [managed.child.pid]);

/** The Redis our services use: its settings for them, its nodes' URLs and processes. */
interface OurRedis {
  env: Record<string, string>;
  urls: string[];
  pids: number[];
  stop(): Promise<void>;
}

/** One Redis (`shards` 1) or a private Redis Cluster of `shards` masters; AOF on, as production runs it. */
async function startOurRedis(shards: number): Promise<OurRedis> {
  if (shards === 1) {
    const redis = await startRedis({ appendOnly: true });
    return { env: { REDIS_URL: redis.url }, urls: [redis.url], pids: pidOf(redis.process), stop: () => redis.stop() };
  }
  const cluster = await startRedisCluster({ masters: shards, appendOnly: true });
  return {
    env: cluster.env,
    urls: cluster.nodes.map((n) => `redis://${n.address}`),
    pids: cluster.nodes.flatMap((n) => pidOf(n.process)),
    stop: () => cluster.stop(),
  };
}

export interface OursOptions {
  pg: PostgresServer;
  gateways: number;
  direct: boolean;
  /** 1: a single Redis; N ≥ 3: a Redis Cluster of N masters. */
  redisShards: number;
  /** Extra environment for every gateway (e.g. COMMIT_DELAY_MS). */
  gatewayEnv: Record<string, string>;
  /** Write each gateway's CPU profile (node --cpu-prof) here when it stops. */
  profileDir: string | undefined;
  echo: boolean;
}

/**
 * Our cluster on this machine, as production runs it: compiled services (`node dist/main.js`,
 * NODE_ENV=production), its own Redis (AOF on; one server or a cluster) and database, the
 * API, N gateways and nginx.
 */
export async function startOurs(options: OursOptions): Promise<Target> {
  const database = `load_${Date.now().toString(36)}`;
  const databaseUrl = await createMigratedDatabase(options.pg, database);
  const redis = await startOurRedis(options.redisShards);
  const base = { ...redis.env, DATABASE_URL: databaseUrl, JWT_SECRET: TEST_JWT_SECRET, NODE_ENV: 'production', LOG_LEVEL: 'warn' };
  const started: RunningService[] = [];
  const start = async (name: 'api' | 'gateway', label: string, env: Record<string, string>): Promise<RunningService> => {
    const nodeArgs = name === 'gateway' ? profileArgs(options.profileDir, label) : [];
    const service = await startService(name, { label, env: { ...base, ...env }, compiled: true, nodeArgs, echo: options.echo });
    started.push(service);
    return service;
  };
  try {
    const api = await start('api', 'api', { TRUST_PROXY: 'true' });
    const gateways = await Promise.all(
      Array.from({ length: options.gateways }, (_, i) =>
        start('gateway', `gateway-${i + 1}`, {
          REPLICA_ID: `gw${i + 1}`,
          // The runner sends far above a person's rate; the limits are not what is measured.
          RATE_LIMIT_MESSAGES: '100000000',
          RATE_LIMIT_COMMANDS: '100000000',
          ...options.gatewayEnv,
          // An inspector on a free port, so the idle scenario can force a GC before reading the heap.
          NODE_OPTIONS: ['--inspect=127.0.0.1:0', options.gatewayEnv.NODE_OPTIONS].filter(Boolean).join(' '),
        }),
      ),
    );
    const nginx = await startNginx({
      apiAddress: `127.0.0.1:${api.port}`,
      gateways: gateways.map((g, i) => ({ replicaId: `gw${i + 1}`, address: `127.0.0.1:${g.port}` })),
      // One worker per core, as in production: one worker holds two descriptors per socket
      // (client and upstream) and would run out of them (and of CPU) first.
      workerProcesses: 'auto',
      echo: options.echo,
    });
    const servers: ServerEndpoint[] = gateways.map((g) => ({
      name: g.name,
      url: g.url,
      metricsUrl: `${g.url}/metrics`,
      healthUrl: `${g.url}/health`,
      inspector: () => inspectorUrl(g.process.output()),
      pid: g.process.child.pid,
    }));
    return {
      name: 'ours',
      socketUrls: options.direct ? servers.map((s) => s.url) : [nginx.url],
      servers,
      cpuGroups: [
        { name: 'gateways', pids: gateways.flatMap((g) => pidOf(g.process)), tree: false },
        { name: 'api', pids: pidOf(api.process), tree: false },
        { name: 'nginx', pids: pidOf(nginx.process), tree: true },
        { name: 'redis', pids: redis.pids, tree: false },
        { name: 'postgres', pids: pidOf(options.pg.process), tree: true },
      ],
      redisUrls: redis.urls,
      ...restTarget(nginx.url),
      stop: async () => {
        await nginx.stop();
        await Promise.all(gateways.map((g) => g.stop(10_000)));
        await api.stop(10_000);
        await redis.stop();
        await options.pg.sql(`drop database if exists "${database}" with (force)`);
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.stop(2_000)));
    await redis.stop();
    throw err;
  }
}

/** A cluster someone else runs, reached at its nginx URL; `metricsUrls` are its gateways' /metrics (optional). */
export function remoteOurs(url: string, gatewayUrls: string[]): Target {
  const base = url.replace(/\/+$/, '');
  return {
    name: 'ours',
    socketUrls: [base],
    servers: gatewayUrls.map((g, i) => ({ name: `gateway-${i + 1}`, url: g, metricsUrl: `${g}/metrics`, healthUrl: `${g}/health` })),
    cpuGroups: [],
    redisUrls: [],
    ...restTarget(base),
    stop: async () => undefined,
  };
}
