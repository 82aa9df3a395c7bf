import { parseArgs } from 'node:util';
import type { TargetName } from './env/target.js';

export type ScenarioName = 'idle' | 'fanout' | 'send';

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
  duration: number;
  settle: number;
  window: number;
  contentBytes: number;
  connectConcurrency: number;
  durablePostgres: boolean;
  gatewayEnv: Record<string, string>;
  out: string | undefined;
  echo: boolean;
}

export const USAGE = `npm run loadtest -- --scenario idle|fanout|send [options]

  --scenario S          idle: N sockets held, memory per socket per gateway
                        fanout: rooms of --room-size, send rate stepped until p99 > --max-p99
                        send: durable sends with ack into one busy room (closed loop)
  --target T            ours (default) or baseline (the bare server in loadtest/baseline)
  --compare             run the scenario against ours, then the baseline, in one run
  --url URL             a running cluster's nginx instead of a private one (ours only)
  --gateway-urls A,B    with --url: the gateways' base URLs (memory, socket counts)
  --direct              connect straight to the gateways, not through nginx
  --gateways N          gateways (or baseline servers) to start              [2]
  --sockets N           idle: sockets to hold                                [1000]
  --rooms N             fanout: rooms                                        [2]
  --room-size N         sockets per room (idle, fanout, send)                [50]
  --users-per-room N    distinct users per room (a user may hold several)    [50]
  --senders N           fanout: senders per room; send: senders in the room  [fanout 5, send 20]
  --rate R              fanout: first step's total sends per second          [20]
  --rate-factor F       fanout: each step's rate is the last one's × F       [2]
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
  if (scenario !== 'idle' && scenario !== 'fanout' && scenario !== 'send') throw new Error(`--scenario must be idle, fanout or send\n\n${USAGE}`);
  const target = values.target ?? 'ours';
  if (target !== 'ours' && target !== 'baseline') throw new Error('--target must be ours or baseline');
  if (values.url && (values.compare || target === 'baseline')) throw new Error('--url targets a running cluster of ours; --compare and --target baseline need private servers');
  const roomSize = int(values['room-size'], 50, 'room-size');
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
    rooms: int(values.rooms, 2, 'rooms'),
    roomSize,
    usersPerRoom: Math.min(roomSize, int(values['users-per-room'], 50, 'users-per-room')),
    senders: int(values.senders, scenario === 'send' ? 20 : 5, 'senders'),
    rate: int(values.rate, 20, 'rate'),
    rateFactor: int(values['rate-factor'], 2, 'rate-factor'),
    maxRate: int(values['max-rate'], 100_000, 'max-rate'),
    stepSeconds: int(values['step-seconds'], 10, 'step-seconds'),
    maxP99Ms: int(values['max-p99'], 100, 'max-p99'),
    duration: int(values.duration, 20, 'duration'),
    settle: int(values.settle, 10, 'settle'),
    window: Math.max(1, int(values.window, 1, 'window')),
    contentBytes: int(values['content-bytes'], 100, 'content-bytes'),
    connectConcurrency: Math.max(1, int(values['connect-concurrency'], 200, 'connect-concurrency')),
    durablePostgres: !values['fast-postgres'],
    gatewayEnv,
    out: values.out,
    echo: values.echo ?? false,
  };
}
