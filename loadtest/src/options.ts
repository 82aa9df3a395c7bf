import { parseArgs } from 'node:util';
import type { TargetName } from './env/target.js';

const SCENARIOS = ['idle', 'fanout', 'rooms', 'send', 'scaleout'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface RunOptions {
  scenario: ScenarioName;
  targets: TargetName[];
  /** A running cluster's nginx URL instead of a private one (ours only). */
  url: string | undefined;
  /** With --url: the gateways' base URLs, for memory and socket counts. */
  gatewayUrls: string[];
  /** Connect straight to the gateways instead of through nginx. */
  direct: boolean;
  gateways: number;
  /** Our Redis: 1, a single server; N ≥ 3, a private Redis Cluster of N masters. */
  redisShards: number;
  sockets: number;
  rooms: number;
  roomSize: number;
  usersPerRoom: number;
  senders: number;
  rate: number;
  rateFactor: number;
  maxRate: number;
  stepSeconds: number;
  maxP99Ms: number;
  /** rooms: the send rate whose ack and delivery latency the summary reports. */
  checkRate: number;
  /** fanout, rooms: seconds of sending at the first rate before the first measured step. */
  warmup: number;
  duration: number;
  settle: number;
  window: number;
  contentBytes: number;
  connectConcurrency: number;
  durablePostgres: boolean;
  /** Stepped scenarios (ours): every receiver marks each message it receives read (`room:read`). */
  markRead: boolean;
  gatewayEnv: Record<string, string>;
  /** Where the gateways (or baseline servers) write a CPU profile each when they stop. */
  profileDir: string | undefined;
  out: string | undefined;
  echo: boolean;
}

export const USAGE = `npm run loadtest -- --scenario idle|fanout|rooms|send|scaleout [options]

  --scenario S          idle: N sockets held, memory per socket per gateway
                        fanout: rooms of --room-size, send rate stepped until p99 > --max-p99
                        rooms: many small rooms (defaults 200 × 5, one sender each), stepped as
                          fanout; reports the gateways' CPU per send and latency at --check-rate
                        send: durable sends with ack into one busy room (closed loop)
                        scaleout: --rooms active rooms on the first half of the gateways and as
                          many quiet ones (no senders) on the rest, stepped as fanout; reports
                          each gateway's CPU and room-channel payloads per message, and Redis's
                          bytes out per message (defaults 4 gateways, 40 × 10, 2 senders; implies
                          --direct)
  --target T            ours (default) or baseline (the bare server in loadtest/baseline)
  --compare             run the scenario against ours, then the baseline, in one run
  --url URL             a running cluster's nginx instead of a private one (ours only)
  --gateway-urls A,B    with --url: the gateways' base URLs (memory, socket counts)
  --direct              connect straight to the gateways, not through nginx
  --gateways N          gateways (or baseline servers) to start              [2; scaleout 4, at least 3]
  --redis-shards N      ours: 1 = a single Redis; N ≥ 3 = a private Redis Cluster of N masters
                        (the 'redis' CPU group counts every node); the baseline ignores it and
                        keeps one Redis                                      [1]
  --sockets N           idle: sockets to hold                                [1000]
  --rooms N             fanout, rooms: rooms; scaleout: active rooms (and as many quiet ones)
                                                                             [fanout 2, rooms 200, scaleout 40]
  --room-size N         sockets per room                                     [50; rooms 5, scaleout 10]
  --users-per-room N    distinct users per room (a user may hold several)    [--room-size, at most 50]
  --senders N           fanout, rooms, scaleout: senders per (active) room; send: in the room
                                                                             [fanout 5, rooms 1, scaleout 2, send 20]
  --rate R              stepped (fanout, rooms, scaleout): first step's total sends per second
                                                                             [fanout 20, rooms 100, scaleout 100]
  --rate-factor F       stepped: each step's rate is the last one's × F      [2]
  --check-rate R        rooms: the step whose latency the summary reports    [400]
  --warmup S            stepped: unmeasured sending at --rate first          [5]
  --max-rate R          stepped: stop stepping above this rate               [100000]
  --step-seconds S      stepped: length of each step                         [10]
  --max-p99 MS          stepped: stop once delivery p99 exceeds this         [100]
  --duration S          send: length of the run                              [20]
  --settle S            idle: seconds held idle (CPU measured) before memory  [10]
                        scaleout: seconds held idle before the steps (each gateway's idle CPU)  [5]
  --window N            send: messages in flight per sender                  [1]
  --content-bytes N     message size                                         [100]
  --connect-concurrency N  sockets connecting at once                        [200]
  --fast-postgres       the test harness's PostgreSQL (fsync off) instead of a durable one
  --mark-read           fanout, rooms (ours): every receiver marks each message it receives read
                        (room:read); the summary adds reads sent and cursors written
  --env KEY=VALUE       extra gateway environment, repeatable (e.g. COMMIT_DELAY_MS=5)
  --profile DIR         the gateways (baseline servers) write a CPU profile each into DIR when
                        they stop (node --cpu-prof); summarise with loadtest/src/profile.ts
  --out FILE            JSON results                                          [loadtest/results/<scenario>-<time>.json]
  --echo                show the servers' output
`;

/** Defaults that differ by scenario. */
interface ScenarioDefaults {
  gateways: number;
  rooms: number;
  roomSize: number;
  senders: number;
  rate: number;
  settle: number;
}

const SHARED_DEFAULTS: ScenarioDefaults = { gateways: 2, rooms: 2, roomSize: 50, senders: 5, rate: 20, settle: 10 };

const DEFAULTS: Record<ScenarioName, ScenarioDefaults> = {
  idle: SHARED_DEFAULTS,
  fanout: SHARED_DEFAULTS,
  send: { ...SHARED_DEFAULTS, senders: 20 },
  rooms: { ...SHARED_DEFAULTS, rooms: 200, roomSize: 5, senders: 1, rate: 100 },
  // Enough rooms that every gateway holds many room channels; a short idle window, since it only sets a base line.
  scaleout: { ...SHARED_DEFAULTS, gateways: 4, rooms: 40, roomSize: 10, senders: 2, rate: 100, settle: 5 },
};

const isScenario = (name: string): name is ScenarioName => (SCENARIOS as readonly string[]).includes(name);

const int = (value: string | undefined, fallback: number, name: string): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${value}`);
  return n;
};

export function parseOptions(argv: string[]): RunOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      target: { type: 'string' },
      compare: { type: 'boolean', default: false },
      url: { type: 'string' },
      'gateway-urls': { type: 'string' },
      direct: { type: 'boolean', default: false },
      gateways: { type: 'string' },
      'redis-shards': { type: 'string' },
      sockets: { type: 'string' },
      rooms: { type: 'string' },
      'room-size': { type: 'string' },
      'users-per-room': { type: 'string' },
      senders: { type: 'string' },
      rate: { type: 'string' },
      'rate-factor': { type: 'string' },
      'max-rate': { type: 'string' },
      'step-seconds': { type: 'string' },
      'max-p99': { type: 'string' },
      'check-rate': { type: 'string' },
      warmup: { type: 'string' },
      profile: { type: 'string' },
      duration: { type: 'string' },
      settle: { type: 'string' },
      window: { type: 'string' },
      'content-bytes': { type: 'string' },
      'connect-concurrency': { type: 'string' },
      'fast-postgres': { type: 'boolean', default: false },
      'mark-read': { type: 'boolean', default: false },
      env: { type: 'string', multiple: true },
      out: { type: 'string' },
      echo: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const scenario = values.scenario ?? '';
  if (!isScenario(scenario)) throw new Error(`--scenario must be ${SCENARIOS.join(', ')}\n\n${USAGE}`);
  const defaults = DEFAULTS[scenario];
  const target = values.target ?? 'ours';
  if (target !== 'ours' && target !== 'baseline') throw new Error('--target must be ours or baseline');
  if (values.url && (values.compare || target === 'baseline')) throw new Error('--url targets a running cluster of ours; --compare and --target baseline need private servers');
  const scaleout = scenario === 'scaleout';
  if (values.url && scaleout) throw new Error('--scenario scaleout places sockets on chosen gateways and reads their processes and Redis: it needs private servers, not --url');
  const gateways = int(values.gateways, defaults.gateways, 'gateways');
  if (scaleout && gateways < 3) throw new Error('--scenario scaleout needs at least 3 gateways: some holding the active rooms, the rest only quiet ones');
  const redisShards = int(values['redis-shards'], 1, 'redis-shards');
  // A Redis Cluster has at least 3 masters (failing one over takes a majority of them): 2 is neither.
  if (!Number.isInteger(redisShards) || (redisShards !== 1 && redisShards < 3)) {
    throw new Error(`--redis-shards must be 1 (a single Redis) or at least 3 (a Redis Cluster of that many masters), got ${values['redis-shards']}`);
  }
  if (values['mark-read'] && (values.compare || target === 'baseline' || !['fanout', 'rooms'].includes(scenario))) {
    throw new Error('--mark-read needs read cursors: ours only (no --compare), with --scenario fanout or rooms');
  }
  if (values.url && redisShards !== 1) throw new Error('--redis-shards starts a private Redis; a running cluster (--url) has its own');
  const roomSize = int(values['room-size'], defaults.roomSize, 'room-size');
  const gatewayEnv: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--env wants KEY=VALUE, got ${pair}`);
    gatewayEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    scenario,
    targets: values.compare ? ['ours', 'baseline'] : [target],
    url: values.url,
    gatewayUrls: values['gateway-urls']?.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean) ?? [],
    // scaleout chooses each socket's gateway, which only a direct connection allows.
    direct: (values.direct ?? false) || scaleout,
    gateways,
    redisShards,
    sockets: int(values.sockets, 1000, 'sockets'),
    rooms: int(values.rooms, defaults.rooms, 'rooms'),
    roomSize,
    usersPerRoom: Math.min(roomSize, int(values['users-per-room'], 50, 'users-per-room')),
    senders: int(values.senders, defaults.senders, 'senders'),
    rate: int(values.rate, defaults.rate, 'rate'),
    rateFactor: int(values['rate-factor'], 2, 'rate-factor'),
    maxRate: int(values['max-rate'], 100_000, 'max-rate'),
    stepSeconds: int(values['step-seconds'], 10, 'step-seconds'),
    maxP99Ms: int(values['max-p99'], 100, 'max-p99'),
    checkRate: int(values['check-rate'], 400, 'check-rate'),
    warmup: int(values.warmup, 5, 'warmup'),
    duration: int(values.duration, 20, 'duration'),
    settle: int(values.settle, defaults.settle, 'settle'),
    window: Math.max(1, int(values.window, 1, 'window')),
    contentBytes: int(values['content-bytes'], 100, 'content-bytes'),
    connectConcurrency: Math.max(1, int(values['connect-concurrency'], 200, 'connect-concurrency')),
    durablePostgres: !values['fast-postgres'],
    markRead: values['mark-read'] ?? false,
    gatewayEnv,
    profileDir: values.profile,
    out: values.out,
    echo: values.echo ?? false,
  };
}
