import type { Message } from '@chat/contract';
import { redisKeys } from '@chat/runtime';
import type { LoadSocket } from '../clients/sockets.js';
import type { Target } from '../env/target.js';
import { between, readCluster, type ClusterDelta } from '../measure/cluster-reading.js';
import { RedisStats } from '../measure/redis-stats.js';
import type { RunOptions } from '../options.js';
import { log, round, sleep } from '../util.js';
import { faults } from './delivery-step.js';
import { gatewayFigures, headline, redisFigures, scaleoutLayout, serverFor, type GatewayFigures, type RedisFigures } from './scaleout-figures.js';
import { bestStep, clean, runSteps, type JudgedStep } from './stepped.js';
import type { Row, ScenarioResult } from './types.js';

/** Active rooms whose shard channel's subscribers are counted. */
const SAMPLED_CHANNELS = 5;

/** What the scenario reads besides runSteps' own figures. */
interface ScaleoutReadings {
  /** The cluster over the idle window before the steps. */
  idle: ClusterDelta | undefined;
  /** Over each step, in order. */
  steps: ClusterDelta[];
  /** Subscribers of a sample of the active rooms' channels (ours only). */
  activeRoomSubscribers: number[];
  /** A delivered message's JSON size, learnt from the first one. */
  messageBytes: number;
}

interface ScaleoutStep extends JudgedStep {
  cluster: ClusterDelta;
  gateways: GatewayFigures[];
  redis: RedisFigures;
}

/** Room ids of the first `count` active rooms, from the connected sockets. */
function activeRoomIds(sockets: readonly LoadSocket[], activeRooms: number, count: number): string[] {
  return [...new Set(sockets.filter((s) => s.room < activeRooms).map((s) => s.roomId))].slice(0, count);
}

/** Room-channel payloads the servers at `indexes` received (0 for servers without the counter). */
const payloadsOn = (delta: ClusterDelta, indexes: number[]): number =>
  indexes.reduce((a, i) => {
    const payloads = delta.servers[i]?.roomPayloads;
    return a + (payloads ? payloads.self + payloads.other : 0);
  }, 0);

/** `2`, or `1–2` when the sample disagrees; NaN when none was taken. */
const spread = (values: number[]): string | number => {
  if (values.length === 0) return NaN;
  const [low, high] = [Math.min(...values), Math.max(...values)];
  return low === high ? low : `${low}–${high}`;
};

/**
 * Scale-out: what a gateway pays for rooms it does not hold. `rooms` active rooms put every
 * socket on the first half of the gateways, as many quiet rooms (no senders) theirs on the
 * rest; so the quiet gateways hold sockets and room channels but no member of any room that
 * talks. With the sockets connected, each gateway's idle CPU is measured (`settle` seconds),
 * then the send rate is stepped as in fan-out. Per step and gateway: CPU per message sent in
 * the whole cluster, the same above idle, and room-channel payloads received per message
 * (none on a quiet gateway); per step: Redis's bytes out per message beside a message's size.
 */
export async function scaleoutScenario(target: Target, options: RunOptions): Promise<ScenarioResult> {
  const { servers } = target;
  const layout = scaleoutLayout(servers.length);
  const names = (indexes: number[]): string => indexes.map((i) => servers[i]!.name).join(', ');
  log(`${target.name}: ${options.rooms} active rooms on ${names(layout.active)}; ${options.rooms} quiet rooms on ${names(layout.quiet)}`);
  const redis = new RedisStats(target.redisUrls);
  const readings: ScaleoutReadings = { idle: undefined, steps: [], activeRoomSubscribers: [], messageBytes: NaN };
  const beforeSteps = async (sockets: readonly LoadSocket[]): Promise<void> => {
    const listener = sockets.find((s) => s.room === 0);
    const measure = (message: Message): void => {
      if (message.type !== 'message') return;
      readings.messageBytes = Buffer.byteLength(JSON.stringify(message));
      listener?.socket.off('message', measure);
    };
    listener?.socket.on('message', measure);
    // Our rooms' channels only: the baseline's Redis adapter has none per room. Asked before
    // the idle window, since the replies count in Redis's output too.
    if (target.name === 'ours') {
      readings.activeRoomSubscribers = await redis.shardSubscribers(activeRoomIds(sockets, options.rooms, SAMPLED_CHANNELS).map(redisKeys.roomChannel));
    }
    log(`${target.name}: measuring each gateway's idle CPU for ${options.settle} s`);
    const start = await readCluster(servers, redis, 'start');
    await sleep(options.settle * 1000);
    readings.idle = between(start, await readCluster(servers, redis, 'end'));
  };
  const aroundStep = async (): Promise<() => Promise<void>> => {
    const start = await readCluster(servers, redis, 'start');
    return async () => {
      readings.steps.push(between(start, await readCluster(servers, redis, 'end')));
    };
  };
  const run = await runSteps(target, options, 'scale', {
    plan: { rooms: 2 * options.rooms, socketsPerRoom: options.roomSize, usersPerRoom: options.usersPerRoom },
    sendingRooms: options.rooms,
    placement: (room, position) => servers[serverFor(layout, options.rooms, room, position)]!.url,
    beforeSteps,
    aroundStep,
  }).finally(() => redis.close());

  const { idle } = readings;
  if (!idle) throw new Error('scaleout: the idle window was never measured');
  const steps: ScaleoutStep[] = run.steps.map((step, i) => {
    const cluster = readings.steps[i]!;
    return {
      ...step,
      cluster,
      gateways: gatewayFigures(cluster, idle, step.report.acked, layout),
      redis: redisFigures(cluster, step.report.acked, readings.messageBytes),
    };
  });
  const best = bestStep(steps, clean, (s) => s.report.sendsPerSecond);
  const atBest = best ? headline(best.gateways) : undefined;
  const reports = steps.map((s) => s.report);
  const quietPayloads = steps.reduce((a, s) => a + payloadsOn(s.cluster, layout.quiet), 0);
  return {
    scenario: 'scaleout',
    target: target.name,
    rows: steps.flatMap((s) => stepRows(s, readings.messageBytes)),
    summary: {
      rooms: `${options.rooms} + ${options.rooms} quiet`,
      'room size': options.roomSize,
      gateways: `${layout.active.length} + ${layout.quiet.length} quiet`,
      'best clean sends/s': best ? round(best.report.sendsPerSecond) : 0,
      'delivered/s there': best ? round(best.report.deliveredPerSecond) : 0,
      'quiet gw µs/msg above idle (max)': round(atBest?.quietAboveIdleMicrosPerMessage ?? NaN, 2),
      'active gw µs/msg above idle (max)': round(atBest?.activeAboveIdleMicrosPerMessage ?? NaN, 2),
      'quiet gw payloads/msg': round(atBest?.quietPayloadsPerMessage ?? NaN, 3),
      'redis B out/msg': round(best?.redis.outputBytesPerMessage ?? NaN),
      'msg B': readings.messageBytes,
      'out ÷ msg': round(best?.redis.copiesPerMessage ?? NaN, 2),
      'active room subscribers': spread(readings.activeRoomSubscribers),
      'lost (all steps)': reports.reduce((a, r) => a + r.lost, 0),
      'dup (all steps)': reports.reduce((a, r) => a + r.duplicates, 0),
      'ooo (all steps)': reports.reduce((a, r) => a + r.outOfOrder, 0),
    },
    problems: [
      ...faults(reports, target.name === 'ours'),
      ...(quietPayloads > 0 ? [`gateways without a member of the active rooms received ${round(quietPayloads, 0)} room-channel payloads`] : []),
    ],
    details: {
      plan: run.plan,
      senders: run.senders,
      layout: { active: layout.active.map((i) => servers[i]!.name), quiet: layout.quiet.map((i) => servers[i]!.name) },
      idle,
      activeRoomSubscribers: readings.activeRoomSubscribers,
      messageBytes: readings.messageBytes,
      maxP99Ms: options.maxP99Ms,
      steps,
    },
  };
}

/** A step's lines: one per gateway, the step's own figures on the first. */
function stepRows(step: ScaleoutStep, messageBytes: number): Row[] {
  const { report } = step;
  return step.gateways.map((g, i): Row => {
    const first = i === 0;
    return {
      ...(first ? { 'rate/s': step.rate, 'sent/s': round(report.sendsPerSecond), 'delivered/s': round(report.deliveredPerSecond), 'p99 ms': round(report.latencyMs.p99) } : {}),
      gateway: g.name,
      holds: g.holds,
      'µs/msg': round(g.cpuMicrosPerMessage, 2),
      'µs/msg above idle': round(g.aboveIdleMicrosPerMessage, 2),
      'payloads/msg': round(g.payloadsPerMessage, 3),
      ...(first
        ? {
            'redis B out/msg': round(step.redis.outputBytesPerMessage),
            'msg B': messageBytes,
            'out ÷ msg': round(step.redis.copiesPerMessage, 2),
            note: step.problems.length ? step.problems.join(', ') : 'ok',
          }
        : {}),
    };
  });
}
