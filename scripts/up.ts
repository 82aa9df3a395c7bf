/**
 * `npm run up`: the whole cluster on this machine. Private Redis and PostgreSQL keep
 * their data under .data/ (unless REDIS_URL / DATABASE_URL point elsewhere; with
 * REDIS_SHARDS=3 or more, a Redis Cluster of that many masters on 7001…), then
 * migrations, the API, GATEWAYS gateways, WORKERS bot workers and nginx on 8080; with
 * PROMETHEUS=1, Prometheus on 9090 (PROMETHEUS_PORT) scraping them with deploy/prometheus's rules.
 * The services get every variable of theirs set here (JWT_SECRET, OPENAI_*, RATE_LIMIT_*, …).
 * Ctrl-C (or SIGTERM, SIGHUP) stops everything it started, in order; if this process is
 * killed outright, the testkit's reaper still ends its children (see packages/testkit/src/lifetime.ts).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadOrExit, serviceVariableNames } from '@chat/runtime';
import {
  createMigratedDatabase,
  isListening,
  repoRoot,
  startNginx,
  startPostgres,
  startPrometheus,
  startRedis,
  startRedisCluster,
  startService,
  type NginxServer,
  type PostgresServer,
  type PrometheusServer,
  type RedisCluster,
  type RedisServer,
  type RunningService,
} from '@chat/testkit';
import { loadUpEnv } from './up-env.js';

const upEnv = loadOrExit(() => loadUpEnv(process.env));
const gatewayCount = upEnv.gateways;
const workerCount = upEnv.workers;
const publicPort = upEnv.nginxPort;
const apiPort = 3000;
const dataDir = join(repoRoot, '.data');
const logDir = join(dataDir, 'logs');

let redis: RedisServer | undefined;
let redisCluster: RedisCluster | undefined;
/** The private Redis Cluster's first port (REDIS_SHARDS ≥ 3); its buses listen 10000 above. */
const CLUSTER_BASE_PORT = 7001;
let postgres: PostgresServer | undefined;
let nginx: NginxServer | undefined;
let prometheus: PrometheusServer | undefined;
const services: RunningService[] = [];
let stopping: Promise<void> | undefined;

async function stopAll(): Promise<void> {
  stopping ??= (async () => {
    console.log('\nstopping…');
    await prometheus?.stop();
    await nginx?.stop();
    // Gateways get 10 s; workers longer than their AI timeout, so a running AI job is answered, not redone.
    await Promise.all([
      ...services.filter((s) => s.name.startsWith('gateway')).map((s) => s.stop(10_000)),
      ...services.filter((s) => s.name.startsWith('bot-worker')).map((s) => s.stop(upEnv.workerStopGraceMs)),
    ]);
    await Promise.all(services.filter((s) => s.name === 'api').map((s) => s.stop(10_000)));
    await redis?.stop();
    await redisCluster?.stop();
    await postgres?.stop();
    console.log('stopped');
  })();
  return stopping;
}

async function ensurePortFree(port: number, what: string): Promise<void> {
  if (await isListening(port)) throw new Error(`port ${port} (${what}) is already in use; stop whatever holds it first`);
}

async function main(): Promise<void> {
  await mkdir(logDir, { recursive: true });
  await ensurePortFree(publicPort, 'nginx');
  await ensurePortFree(apiPort, 'api');
  for (let i = 0; i < gatewayCount; i++) await ensurePortFree(3101 + i, `gateway ${i + 1}`);
  for (let i = 0; i < workerCount; i++) await ensurePortFree(3201 + i, `bot-worker ${i + 1}`);
  if (upEnv.prometheus) await ensurePortFree(upEnv.prometheusPort, 'prometheus');

  let redisUrl = upEnv.redisUrl;
  if (!redisUrl && upEnv.redisShards >= 3) {
    for (let i = 0; i < upEnv.redisShards; i++) await ensurePortFree(CLUSTER_BASE_PORT + i, `redis cluster node ${i + 1}`);
    const clusterDir = join(dataDir, `redis-cluster-${upEnv.redisShards}`);
    await mkdir(clusterDir, { recursive: true });
    redisCluster = await startRedisCluster({ masters: upEnv.redisShards, dataDir: clusterDir, basePort: CLUSTER_BASE_PORT, appendOnly: true });
    redisUrl = redisCluster.url;
  } else if (!redisUrl) {
    await mkdir(join(dataDir, 'redis'), { recursive: true });
    redis = await startRedis({ dataDir: join(dataDir, 'redis'), appendOnly: true, logFile: join(logDir, 'redis.log') });
    redisUrl = redis.url;
  }
  let databaseUrl = upEnv.databaseUrl;
  if (!databaseUrl) {
    await mkdir(join(dataDir, 'postgres'), { recursive: true });
    postgres = await startPostgres({ dataDir: join(dataDir, 'postgres'), logFile: join(logDir, 'postgres.log') });
    const exists = await postgres.sql(`select 1 from pg_database where datname = 'chat'`);
    databaseUrl = exists === '1' ? postgres.databaseUrl('chat') : await createMigratedDatabase(postgres, 'chat');
  }
  // Migrations (idempotent) before any service starts.
  const { createOrm, migrate } = await import('@chat/store');
  const orm = await createOrm({ databaseUrl, poolMax: 1 });
  const applied = await migrate(orm).finally(() => orm.close(true));
  if (applied.length > 0) console.log(`migrations applied: ${applied.join(', ')}`);

  // The services' configuration comes from this environment (startService passes on nothing of it by itself).
  const configured = Object.fromEntries(serviceVariableNames.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
  const base = {
    ...configured,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    REDIS_URL: redisUrl,
    ...(redisCluster ? { REDIS_CLUSTER_NODES: redisCluster.clusterNodes.join(',') } : {}),
    DATABASE_URL: databaseUrl,
    CORS_ORIGINS: process.env.CORS_ORIGINS ?? `http://localhost:${publicPort},http://127.0.0.1:${publicPort}`,
  };
  const start = async (name: 'api' | 'gateway' | 'bot-worker', label: string, env: Record<string, string>) => {
    const service = await startService(name, { label, env: { ...base, ...env }, compiled: true, logFile: join(logDir, `${label}.log`) });
    services.push(service);
    return service;
  };

  await start('api', 'api', { PORT: String(apiPort), HOST: '127.0.0.1', TRUST_PROXY: 'true' });
  const gateways = await Promise.all(
    Array.from({ length: gatewayCount }, (_, i) => start('gateway', `gateway-${i + 1}`, { PORT: String(3101 + i), HOST: '127.0.0.1', REPLICA_ID: `gw${i + 1}` })),
  );
  await Promise.all(Array.from({ length: workerCount }, (_, i) => start('bot-worker', `bot-worker-${i + 1}`, { PORT: String(3201 + i), HOST: '127.0.0.1' })));
  nginx = await startNginx({
    apiAddress: `127.0.0.1:${apiPort}`,
    gateways: gateways.map((g) => ({ replicaId: g.env.REPLICA_ID ?? g.name, address: `127.0.0.1:${g.port}` })),
    port: publicPort,
    workDir: join(dataDir, 'nginx'),
  });
  if (upEnv.prometheus) {
    const address = (s: RunningService): string => `127.0.0.1:${s.port}`;
    prometheus = await startPrometheus({
      targets: {
        api: services.filter((s) => s.name === 'api').map(address),
        gateway: services.filter((s) => s.name.startsWith('gateway')).map(address),
        'bot-worker': services.filter((s) => s.name.startsWith('bot-worker')).map(address),
      },
      // Finer than Compose's 15 s: a local cluster is watched while something is tried.
      scrapeIntervalSeconds: 5,
      port: upEnv.prometheusPort,
      workDir: join(dataDir, 'prometheus'),
      logFile: join(logDir, 'prometheus.log'),
    });
  }

  console.log('\nthe cluster is up:');
  console.log(`  web client + public entry  http://localhost:${publicPort}/  (nginx: /api/ → api, /socket.io/ → gateways)`);
  for (const s of services) console.log(`  ${s.name.padEnd(26)} ${s.url}  (/health, /metrics)`);
  if (redisCluster) console.log(`  ${'redis cluster'.padEnd(26)} ${redisCluster.clusterNodes.join(', ')}  (${upEnv.redisShards} masters, data in .data/redis-cluster-${upEnv.redisShards})`);
  else console.log(`  ${'redis'.padEnd(26)} ${redisUrl}${redis ? '  (data in .data/redis)' : ''}`);
  console.log(`  ${'postgresql'.padEnd(26)} ${databaseUrl}${postgres ? '  (data in .data/postgres)' : ''}`);
  if (prometheus) console.log(`  ${'prometheus'.padEnd(26)} ${prometheus.url}/  (alerts: ${prometheus.url}/alerts; data in .data/prometheus)`);
  console.log(`  logs in .data/logs/; Ctrl-C stops everything\n`);

  for (const s of services) {
    void s.process.exited.then((code) => {
      if (!stopping) console.error(`${s.name} exited (${code}); see .data/logs/${s.name}.log`);
    });
  }
}

// The children have process groups of their own: a terminal's Ctrl-C reaches only this process,
// which stops them in order (nginx, gateways and workers, api, redis, postgres).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void stopAll().then(() => process.exit(0)));
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  await stopAll();
  process.exit(1);
});
