/**
 * What the bot worker's crash-recovery settings cost in Redis: the commands per second one worker
 * process sends while idle and while busy (STOCK_CONCURRENCY jobs running, held at a fake Stooq),
 * for the old settings (lock 30 s, stalled check 30 s) and the current defaults, read from Redis's
 * `INFO` before and after each window. Each setting gets its own Redis, so they run side by side.
 * The figures are in docs/deployment.md, next to BOT_LOCK_DURATION_MS.
 *
 *   node --conditions=development --import tsx services/bot-worker/test/measure/redis-cost.ts [windowSeconds=120]
 */
import { randomUUID } from 'node:crypto';
import { commandRequestId, createCommandQueues, createRedis, enqueueCommand, loadWorkerConfig, type RedisClient } from '@chat/runtime';
import { createOrm } from '@chat/store';
import { createMigratedDatabase, sleep, startPostgres, startRedis, startService, waitFor, type PostgresServer } from '@chat/testkit';
import { startFakeStooq, type FakeStooq } from '../fakes/fake-stooq.js';

interface Setting {
  name: string;
  lockMs: number;
  stalledMs: number;
}

/** Calls per command so far (INFO commandstats: the commands inside Lua scripts count too). */
type Sample = Map<string, number>;

/**
 * What BullMQ's connections send while a worker runs: scripts and the blocking fetch. Everything
 * else in commandstats runs inside those scripts.
 */
const ROUND_TRIPS = new Set(['evalsha', 'eval', 'bzpopmin']);

const windowSeconds = Number(process.argv[2] ?? 120);
const defaults = loadWorkerConfig({ NODE_ENV: 'test' });
const settings: Setting[] = [
  { name: 'old (30 s / 30 s)', lockMs: 30_000, stalledMs: 30_000 },
  { name: `new (${defaults.lockDurationMs / 1000} s / ${defaults.stalledIntervalMs / 1000} s)`, lockMs: defaults.lockDurationMs, stalledMs: defaults.stalledIntervalMs },
];
const busyJobs = defaults.stockConcurrency;

async function sample(redis: RedisClient): Promise<Sample> {
  const info = await redis.info('commandstats');
  return new Map([...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

interface Rates {
  /** Every command Redis ran, per second. */
  all: number;
  /** Scripts and blocking fetches sent, per second. */
  roundTrips: number;
  byCommand: [string, number][];
}

/** Commands per second between two samples, leaving out our own INFO calls. */
function rates(before: Sample, after: Sample, seconds: number): Rates {
  const byCommand = [...after]
    .map(([cmd, n]): [string, number] => [cmd, (n - (before.get(cmd) ?? 0)) / seconds])
    .filter(([cmd, r]) => cmd !== 'info' && r > 0)
    .sort((a, b) => b[1] - a[1]);
  const sum = (list: [string, number][]): number => list.reduce((n, [, r]) => n + r, 0);
  return { all: sum(byCommand), roundTrips: sum(byCommand.filter(([cmd]) => ROUND_TRIPS.has(cmd))), byCommand };
}

async function measureWindow(redis: RedisClient): Promise<Rates> {
  const before = await sample(redis);
  const started = Date.now();
  await sleep(windowSeconds * 1000);
  const after = await sample(redis);
  return rates(before, after, (Date.now() - started) / 1000);
}

async function measure(setting: Setting, pg: PostgresServer, stooq: FakeStooq): Promise<string> {
  const redisServer = await startRedis();
  const databaseUrl = await createMigratedDatabase(pg, `cost_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
  const redis = createRedis(redisServer.url);
  const queues = createCommandQueues(redis);
  const worker = await startService('bot-worker', {
    label: `worker ${setting.name}`,
    env: {
      REDIS_URL: redisServer.url,
      DATABASE_URL: databaseUrl,
      STOOQ_URL: stooq.url,
      STOOQ_TIMEOUT_MS: String(10 * windowSeconds * 1000),
      BOT_LOCK_DURATION_MS: String(setting.lockMs),
      BOT_STALLED_INTERVAL_MS: String(setting.stalledMs),
    },
  });
  try {
    await sleep(5_000); // past the start-up commands
    const idle = await measureWindow(redis);

    // A room to answer in, then STOCK_CONCURRENCY jobs that Stooq holds: all running, none finishing.
    const orm = await createOrm({ databaseUrl, poolMax: 1 });
    const knex = orm.em.getKnex();
    const user = { id: randomUUID(), username: `cost_${randomUUID().slice(0, 8)}` };
    const roomId = randomUUID();
    await knex.raw(`insert into users (id, username, password_hash) values (?, ?, 'x')`, [user.id, user.username]);
    await knex.raw('insert into rooms (id, name, owner_id) values (?, ?, ?)', [roomId, `cost-${roomId}`, user.id]);
    await orm.close(true);
    const symbols = Array.from({ length: busyJobs }, (_, i) => `${setting.lockMs}x${i}.us`);
    for (const symbol of symbols) {
      stooq.script(symbol, { kind: 'hold', then: { kind: 'nd' } });
      const code = symbol.toUpperCase();
      await enqueueCommand(queues, { name: 'stock', code }, { requestId: commandRequestId(roomId, user.id, randomUUID()), roomId, requestedBy: user });
    }
    await waitFor('every job to reach Stooq', () => symbols.every((s) => stooq.requests(s).length > 0), 30_000);
    await sleep(2_000);
    const busy = await measureWindow(redis);

    const line = (label: string, r: Rates): string =>
      `  ${label}: ${r.all.toFixed(2)} commands/s, of them ${r.roundTrips.toFixed(2)}/s sent (scripts, BZPOPMIN); ${r.byCommand.map(([c, v]) => `${c} ${v.toFixed(2)}`).join(', ')}`;
    return [`${setting.name}, ${windowSeconds} s windows`, line('idle', idle), line(`busy (${busyJobs} stock jobs running)`, busy)].join('\n');
  } finally {
    await worker.kill();
    await queues.close();
    await redis.quit();
    await redisServer.stop();
  }
}

const pg = await startPostgres();
const stooq = await startFakeStooq();
try {
  const reports = await Promise.all(settings.map((s) => measure(s, pg, stooq)));
  console.log(reports.join('\n\n'));
} finally {
  await stooq.close();
  await pg.stop();
}
