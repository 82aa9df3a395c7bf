import { performance } from 'node:perf_hooks';
import type { ServerEndpoint } from '../env/target.js';
import { processCpuSeconds } from './process-cpu.js';
import type { RedisStats } from './redis-stats.js';

/** The gateways' counter of payloads Redis handed them on room channels, by `from` (self, other). */
export const ROOM_PAYLOADS_METRIC = 'chat_room_channel_payloads_total';

/** Payloads a gateway received on room channels: those it had published itself, and the others'. */
export interface RoomPayloads {
  self: number;
  other: number;
}

/** One server's counters at one moment. */
export interface ServerReading {
  name: string;
  /** CPU seconds so far (NaN: its pid is not known). */
  cpuSeconds: number;
  /** undefined: the server has no room-channel counter (the baseline). */
  roomPayloads: RoomPayloads | undefined;
}

/** Every server's and Redis's counters at one moment. */
export interface ClusterReading {
  /** When the CPU was read, performance.now() ms. */
  at: number;
  servers: ServerReading[];
  /** Bytes Redis has written to clients, every node (NaN: no Redis to ask). */
  redisOutputBytes: number;
}

/** What happened between two readings. */
export interface ClusterDelta {
  seconds: number;
  servers: ServerReading[];
  redisOutputBytes: number;
}

/**
 * The values of a labelled metric in a Prometheus text exposition, by the value of `label`
 * (`metric{label="x"} 3` → x: 3). A counter declared but not yet counted under any label has
 * no value lines (prom-client): empty. undefined when the exposition does not declare it.
 */
export function valuesByLabel(text: string, metric: string, label: string): Map<string, number> | undefined {
  if (!text.split('\n').some((line) => line.startsWith(`# TYPE ${metric} `))) return undefined;
  const values = new Map<string, number>();
  const labelPattern = new RegExp(`(?:^|,)${label}="([^"]*)"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match || match[1] !== metric) continue;
    const key = labelPattern.exec(match[2]!)?.[1];
    if (key !== undefined) values.set(key, (values.get(key) ?? 0) + Number(match[3]));
  }
  return values;
}

async function roomPayloadsOf(server: ServerEndpoint): Promise<RoomPayloads | undefined> {
  const res = await fetch(server.metricsUrl);
  if (!res.ok) throw new Error(`${server.metricsUrl}: ${res.status}`);
  const byOrigin = valuesByLabel(await res.text(), ROOM_PAYLOADS_METRIC, 'from');
  if (!byOrigin) return undefined;
  return { self: byOrigin.get('self') ?? 0, other: byOrigin.get('other') ?? 0 };
}

/**
 * Reads every server's CPU and room-channel counter and Redis's output. Serving /metrics
 * costs a gateway CPU of its own, as much as thousands of messages on a quiet one: so a
 * window's `start` reading scrapes first and reads CPU last, its `end` reading reads CPU
 * first and scrapes last, and the scrapes fall outside the CPU window.
 */
export async function readCluster(servers: readonly ServerEndpoint[], redis: RedisStats | undefined, edge: 'start' | 'end'): Promise<ClusterReading> {
  const readCpu = (): { at: number; seconds: number[] } => ({
    at: performance.now(),
    seconds: servers.map((s) => (s.pid === undefined ? NaN : (processCpuSeconds(s.pid) ?? NaN))),
  });
  const readCounters = (): Promise<[(RoomPayloads | undefined)[], number]> =>
    Promise.all([Promise.all(servers.map(roomPayloadsOf)), redis ? redis.outputBytes() : NaN]);
  let cpu: { at: number; seconds: number[] };
  let counters: [(RoomPayloads | undefined)[], number];
  if (edge === 'start') {
    counters = await readCounters();
    cpu = readCpu();
  } else {
    cpu = readCpu();
    counters = await readCounters();
  }
  const [payloads, redisOutputBytes] = counters;
  return {
    at: cpu.at,
    servers: servers.map((s, i) => ({ name: s.name, cpuSeconds: cpu.seconds[i]!, roomPayloads: payloads[i] })),
    redisOutputBytes,
  };
}

/** The counters' growth from `start` to `end` (same servers, same order). */
export function between(start: ClusterReading, end: ClusterReading): ClusterDelta {
  return {
    seconds: (end.at - start.at) / 1000,
    servers: end.servers.map((after, i) => {
      const before = start.servers[i]!;
      const payloads =
        after.roomPayloads && before.roomPayloads
          ? { self: after.roomPayloads.self - before.roomPayloads.self, other: after.roomPayloads.other - before.roomPayloads.other }
          : undefined;
      return { name: after.name, cpuSeconds: after.cpuSeconds - before.cpuSeconds, roomPayloads: payloads };
    }),
    redisOutputBytes: end.redisOutputBytes - start.redisOutputBytes,
  };
}
