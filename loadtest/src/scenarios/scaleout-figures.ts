import type { ClusterDelta } from '../measure/cluster-reading.js';

/**
 * Which servers (indexes into the target's `servers`) hold the active rooms' sockets and
 * which the quiet rooms': the first half, rounded up so that messages still cross between
 * gateways with 3 of them, and the rest.
 */
export interface ScaleoutLayout {
  active: number[];
  quiet: number[];
}

export function scaleoutLayout(gateways: number): ScaleoutLayout {
  if (gateways < 3) throw new Error(`scaleout needs at least 3 gateways, got ${gateways}`);
  const activeCount = Math.ceil(gateways / 2);
  const indexes = Array.from({ length: gateways }, (_, i) => i);
  return { active: indexes.slice(0, activeCount), quiet: indexes.slice(activeCount) };
}

/**
 * The server a socket goes to: rooms below `activeRooms` on the active half, the others on
 * the quiet half, each room's sockets round-robin over its half (so every gateway of a half
 * holds every room of it, once a room has as many sockets as the half has gateways).
 */
export function serverFor(layout: ScaleoutLayout, activeRooms: number, room: number, position: number): number {
  const half = room < activeRooms ? layout.active : layout.quiet;
  return half[position % half.length]!;
}

/** One gateway's share of one step, per message acknowledged anywhere in the cluster in that step. */
export interface GatewayFigures {
  name: string;
  holds: 'active' | 'quiet';
  /** CPU µs per cluster message. */
  cpuMicrosPerMessage: number;
  /** The same, less what the gateway spends idle over as long (its idle CPU rate × the step's seconds). */
  aboveIdleMicrosPerMessage: number;
  /** Room-channel payloads Redis handed it (its own included) per cluster message; NaN without the counter. */
  payloadsPerMessage: number;
}

const perMessage = (value: number, messages: number): number => (messages > 0 ? value / messages : NaN);

/** Each gateway's figures for a step: `step` and `idle` are the cluster's counters over the step and over the idle window. */
export function gatewayFigures(step: ClusterDelta, idle: ClusterDelta, messages: number, layout: ScaleoutLayout): GatewayFigures[] {
  return step.servers.map((server, i) => {
    const idleCpuPerSecond = (idle.servers[i]?.cpuSeconds ?? NaN) / idle.seconds;
    const payloads = server.roomPayloads ? server.roomPayloads.self + server.roomPayloads.other : NaN;
    return {
      name: server.name,
      holds: layout.quiet.includes(i) ? 'quiet' : 'active',
      cpuMicrosPerMessage: perMessage(server.cpuSeconds * 1e6, messages),
      aboveIdleMicrosPerMessage: perMessage((server.cpuSeconds - idleCpuPerSecond * step.seconds) * 1e6, messages),
      payloadsPerMessage: perMessage(payloads, messages),
    };
  });
}

export interface RedisFigures {
  /** Bytes Redis wrote to its clients (every node) per cluster message. */
  outputBytesPerMessage: number;
  /**
   * `outputBytesPerMessage` ÷ a message's JSON size: about how many servers each message
   * went to, read a little high, since every copy also carries its channel's name and
   * framing (and ours its publisher's envelope), and other commands' replies count too.
   */
  copiesPerMessage: number;
}

export function redisFigures(step: ClusterDelta, messages: number, messageBytes: number): RedisFigures {
  const outputBytesPerMessage = perMessage(step.redisOutputBytes, messages);
  return { outputBytesPerMessage, copiesPerMessage: outputBytesPerMessage / messageBytes };
}

/** A step's headline: the costliest quiet gateway (and active one), and what the quiet gateways received. */
export interface ScaleoutHeadline {
  quietAboveIdleMicrosPerMessage: number;
  activeAboveIdleMicrosPerMessage: number;
  /** Summed over the quiet gateways: 0 when Redis sends a room's messages only to the gateways that hold it. */
  quietPayloadsPerMessage: number;
}

export function headline(gateways: readonly GatewayFigures[]): ScaleoutHeadline {
  const of = (holds: GatewayFigures['holds']): GatewayFigures[] => gateways.filter((g) => g.holds === holds);
  const max = (figures: GatewayFigures[]): number => (figures.length ? Math.max(...figures.map((g) => g.aboveIdleMicrosPerMessage)) : NaN);
  return {
    quietAboveIdleMicrosPerMessage: max(of('quiet')),
    activeAboveIdleMicrosPerMessage: max(of('active')),
    quietPayloadsPerMessage: of('quiet').reduce((a, g) => a + g.payloadsPerMessage, 0),
  };
}
