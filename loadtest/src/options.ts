import { parseArgs } from 'node:util';
import type { TargetName } from './env/target.js';

export type ScenarioName = 'idle' | 'fanout' | 'rooms' | 'send';

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
  gatewayEnv: Record<string, string>;
  /** Where the gateways (or baseline servers) write a CPU profile each when they stop. */
  profileDir: string | undefined;
  out: string | undefined;
  echo: boolean;
}

export const USAGE = `npm run loadtest -- --scenario idle|fanout|rooms|send [options]

  --scenario S          idle: N sockets held, memory per socket per gateway
                        fanout: rooms of --room-size, send rate stepped until p99 > --max-p99
                        rooms: many small rooms (defaults 200 × 5, one sender each), stepped as
                          fanout; reports the gateways' CPU per send and latency at --check-rate
                        send: durable sends with ack into one busy room (closed loop)
  --target T            ours (default) or baseline (the bare server in loadtest/baseline)
  --compare             run the scenario against ours, then the baseline, in one run
  --url URL             a running cluster's nginx instead of a private one (ours only)
  --gateway-urls A,B    with --url: the gateways' base URLs (memory, socket counts)
  --direct              connect straight to the gateways, not through nginx
  --gateways N          gateways (or baseline servers) to start              [2]
  --sockets N           idle: sockets to hold                                [1000]
  --rooms N             fanout, rooms: rooms                                 [fanout 2, rooms 200]
  --room-size N         sockets per room (idle, fanout, rooms, send)         [50; rooms 5]
  --users-per-room N    distinct users per room (a user may hold several)    [50; rooms 5]
  --senders N           fanout, rooms: senders per room; send: in the room   [fanout 5, rooms 1, send 20]
  --rate R              fanout, rooms: first step's total sends per second   [fanout 20, rooms 100]
  --rate-factor F       fanout, rooms: each step's rate is the last one's × F [2]
  --check-rate R        rooms: the step whose latency the summary reports    [400]
  --warmup S            fanout, rooms: unmeasured sending at --rate first    [5]
  --max-rate R          fanout: stop stepping above this rate                [100000]
  --step-seconds S      fanout: length of each step                          [10]
  --max-p99 MS          fanout: stop once delivery p99 exceeds this          [100]
  --duration S          send: length of the run                              [20]
  --settle S            idle: seconds held idle (CPU measured) before memory  [10]
  --window N            send: messages in flight per sender                  [1]
  --content-bytes N     message size                                         [100]
  --connect-concurrency N  sockets connecting at once                        [200]
  --fast-postgres       the test harness's PostgreSQL (fsync off) instead of a durable one
  --env KEY=VALUE       extra gateway environment, repeatable (e.g. COMMIT_DELAY_MS=5)
  --profile DIR         the gateways (baseline servers) write a CPU profile each into DIR when
                        they stop (node --cpu-prof); summarise with loadtest/src/profile.ts
  --out FILE            JSON results                                          [loadtest/results/<scenario>-<time>.json]
  --echo                show the servers' output
`;

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
  if (scenario !== 'idle' && scenario !== 'fanout' && scenario !== 'rooms' && scenario !== 'send') {
    throw new Error(`--scenario must be idle, fanout, rooms or send\n\n${USAGE}`);
  }
  const small = scenario === 'rooms';
  const target = values.target ?? 'ours';
  if (target !== 'ours' && target !== 'baseline') throw new Error('--target must be ours or baseline');
  if (values.url && (values.compare || target === 'baseline')) throw new Error('--url targets a running cluster of ours; --compare and --target baseline need private servers');
  const roomSize = int(values['room-size'], small ? 5 : 50, 'room-size');
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
    direct: values.direct ?? false,
    gateways: int(values.gateways, 2, 'gateways'),
    sockets: int(values.sockets, 1000, 'sockets'),
    rooms: int(values.rooms, small ? 200 : 2, 'rooms'),
    roomSize,
    usersPerRoom: Math.min(roomSize, int(values['users-per-room'], 50, 'users-per-room')),
    senders: int(values.senders, scenario === 'send' ? 20 : small ? 1 : 5, 'senders'),
    rate: int(values.rate, small ? 100 : 20, 'rate'),
    rateFactor: int(values['rate-factor'], 2, 'rate-factor'),
    maxRate: int(values['max-rate'], 100_000, 'max-rate'),
    stepSeconds: int(values['step-seconds'], 10, 'step-seconds'),
    maxP99Ms: int(values['max-p99'], 100, 'max-p99'),
    checkRate: int(values['check-rate'], 400, 'check-rate'),
    warmup: int(values.warmup, 5, 'warmup'),
    duration: int(values.duration, 20, 'duration'),
    settle: int(values.settle, 10, 'settle'),
    window: Math.max(1, int(values.window, 1, 'window')),
    contentBytes: int(values['content-bytes'], 100, 'content-bytes'),
    connectConcurrency: Math.max(1, int(values['connect-concurrency'], 200, 'connect-concurrency')),
    durablePostgres: !values['fast-postgres'],
    gatewayEnv,
    profileDir: values.profile,
    out: values.out,
    echo: values.echo ?? false,
  };
}
