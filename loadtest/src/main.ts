/**
 * `npm run loadtest -- --scenario idle|fanout|rooms|send|scaleout [--compare] …` (see
 * options.ts for every flag): starts a private cluster (or targets --url), drives it with
 * socket.io-client from this one process, prints a table and writes JSON under loadtest/results/.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { startPostgres, type PostgresServer } from '@chat/testkit';
import { writeStepChart } from './charts/render.js';
import { startBaseline } from './env/baseline.js';
import { remoteOurs, startOurs } from './env/ours.js';
import type { Target, TargetName } from './env/target.js';
import { parseOptions, type RunOptions } from './options.js';
import { printResults, problemLines, writeResults } from './report.js';
import { fanoutScenario } from './scenarios/fanout.js';
import { idleScenario } from './scenarios/idle.js';
import { roomsScenario } from './scenarios/rooms.js';
import { scaleoutScenario } from './scenarios/scaleout.js';
import { sendScenario } from './scenarios/send.js';
import type { ScenarioResult } from './scenarios/types.js';
import { log } from './util.js';

const scenarios = { idle: idleScenario, fanout: fanoutScenario, rooms: roomsScenario, send: sendScenario, scaleout: scaleoutScenario };

/** Sockets this process will hold at once. */
function socketsNeeded(options: RunOptions): number {
  if (options.scenario === 'idle') return options.sockets;
  if (options.scenario === 'fanout' || options.scenario === 'rooms') return options.rooms * options.roomSize;
  // As many quiet rooms as active ones.
  if (options.scenario === 'scaleout') return 2 * options.rooms * options.roomSize;
  return Math.max(options.roomSize, options.senders);
}

/** This process's open-file limits; nginx and the servers it starts inherit them. */
function openFileLimits(): { soft: number; hard: number } {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const [, soft, hard] = line?.split(/\s{2,}/) ?? [];
  const value = (v: string | undefined): number => (v === undefined || v === 'unlimited' ? Infinity : Number(v));
  return { soft: value(soft), hard: value(hard) };
}

/**
 * Refuses to start a run the open-file limit cannot hold: this process needs one descriptor
 * per socket, and each nginx worker (one per core) two per socket it proxies (client and upstream).
 */
function checkOpenFiles(options: RunOptions): void {
  const sockets = socketsNeeded(options);
  const slack = 1_000;
  const nginxWorker = options.direct || options.url ? 0 : Math.ceil((2 * sockets) / availableParallelism());
  const needed = Math.max(sockets, nginxWorker) + slack;
  const { soft, hard } = openFileLimits();
  if (soft >= needed) return;
  const what = `this run needs about ${needed} open files per process (${sockets} sockets) but the limit is ${soft}`;
  if (hard >= needed) throw new Error(`${what}: raise it to the hard limit (${hard}) first with  ulimit -n "$(ulimit -Hn)"  and run again`);
  throw new Error(
    `${what}, and the hard limit is ${hard}: run fewer sockets, or raise the hard limit (as root with CAP_SYS_RESOURCE, ` +
      `/etc/security/limits.conf, or docker run --ulimit nofile=N:N), then  ulimit -n "$(ulimit -Hn)"`,
  );
}

async function startTarget(name: TargetName, options: RunOptions, pg: () => Promise<PostgresServer>): Promise<Target> {
  if (options.url) return remoteOurs(options.url, options.gatewayUrls);
  const { gateways, direct, redisShards, profileDir, echo } = options;
  if (name === 'ours') {
    const redis = redisShards === 1 ? 'one Redis' : `a Redis Cluster of ${redisShards} masters`;
    log(`starting our cluster (${gateways} gateways, API, nginx, ${redis})`);
    return startOurs({ pg: await pg(), gateways, direct, redisShards, gatewayEnv: options.gatewayEnv, profileDir, echo });
  }
  log(`starting the baseline (${gateways} servers, nginx, one Redis${redisShards === 1 ? '' : ': --redis-shards is for ours only'})`);
  return startBaseline({ pg: await pg(), servers: gateways, direct, profileDir, echo });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.rateFactor <= 1) throw new Error('--rate-factor must be above 1');
  checkOpenFiles(options);

  let pg: PostgresServer | undefined;
  const getPg = async (): Promise<PostgresServer> => {
    if (!pg) {
      log(`starting PostgreSQL (${options.durablePostgres ? 'durable: fsync, synchronous_commit and full_page_writes on' : 'fast: fsync, synchronous_commit and full_page_writes off'})`);
      pg = await startPostgres({ durable: options.durablePostgres });
    }
    return pg;
  };
  const results: ScenarioResult[] = [];
  try {
    for (const name of options.targets) {
      const target = await startTarget(name, options, getPg);
      try {
        results.push(await scenarios[options.scenario](target, options));
      } finally {
        await target.stop();
      }
    }
  } finally {
    await pg?.stop();
  }
  printResults(results);
  const path = await writeResults(options, results);
  process.stdout.write(`\nresults: ${path}\n`);
  // A stepped scenario's chart beside its JSON (<out>.svg); a failed chart does not fail the run.
  const chart = await writeStepChart(path).catch((err: unknown) => log(`no chart: ${err instanceof Error ? err.message : String(err)}`));
  if (chart) process.stdout.write(`chart: ${chart}\n`);
  const problems = problemLines(results);
  if (problems.length) throw new Error(`the run finished with ${problems.length} problem(s) (listed above; figures written to ${path})`);
}

// Ctrl-C: the harness kills every server it started when this process exits.
process.once('SIGINT', () => {
  log('interrupted');
  process.exit(130);
});

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`loadtest failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
