import { describe, expect, it } from 'vitest';
import { between, ROOM_PAYLOADS_METRIC, valuesByLabel, type ClusterDelta, type ClusterReading } from '../src/measure/cluster-reading.js';
import { outputBytesOf } from '../src/measure/redis-stats.js';
import { parseOptions } from '../src/options.js';
import { gatewayFigures, headline, redisFigures, scaleoutLayout, serverFor } from '../src/scenarios/scaleout-figures.js';

describe('--redis-shards', () => {
  it('defaults to a single Redis and takes 3 or more masters for a cluster', () => {
    expect(parseOptions(['--scenario', 'fanout']).redisShards).toBe(1);
    expect(parseOptions(['--scenario', 'fanout', '--redis-shards', '1']).redisShards).toBe(1);
    expect(parseOptions(['--scenario', 'fanout', '--redis-shards', '3']).redisShards).toBe(3);
    expect(parseOptions(['--scenario', 'fanout', '--redis-shards', '6', '--compare']).redisShards).toBe(6);
  });

  it('refuses 2 masters, none, a fraction, and a running cluster', () => {
    for (const shards of ['0', '2', '3.5']) {
      expect(() => parseOptions(['--scenario', 'fanout', '--redis-shards', shards]), shards).toThrow(/--redis-shards must be 1 .* or at least 3/);
    }
    expect(() => parseOptions(['--scenario', 'fanout', '--redis-shards', '3', '--url', 'http://chat:8080'])).toThrow(/--url/);
  });
});

describe('--scenario scaleout', () => {
  it('defaults to 4 gateways reached directly, 40 active rooms of 10 with 2 senders each, and a 5 s idle window', () => {
    const options = parseOptions(['--scenario', 'scaleout']);
    expect(options).toMatchObject({ scenario: 'scaleout', gateways: 4, direct: true, rooms: 40, roomSize: 10, usersPerRoom: 10, senders: 2, rate: 100, settle: 5 });
    expect(options.targets).toEqual(['ours']);
    expect(parseOptions(['--scenario', 'scaleout', '--compare', '--gateways', '6', '--rooms', '10']).targets).toEqual(['ours', 'baseline']);
  });

  it('needs at least 3 gateways and private servers', () => {
    expect(() => parseOptions(['--scenario', 'scaleout', '--gateways', '2'])).toThrow(/at least 3 gateways/);
    expect(parseOptions(['--scenario', 'scaleout', '--gateways', '3']).gateways).toBe(3);
    expect(() => parseOptions(['--scenario', 'scaleout', '--url', 'http://chat:8080'])).toThrow(/private servers/);
  });

  it('leaves the other scenarios’ defaults as they were', () => {
    expect(parseOptions(['--scenario', 'fanout'])).toMatchObject({ gateways: 2, direct: false, rooms: 2, roomSize: 50, senders: 5, rate: 20, settle: 10 });
    expect(parseOptions(['--scenario', 'rooms'])).toMatchObject({ rooms: 200, roomSize: 5, usersPerRoom: 5, senders: 1, rate: 100 });
    expect(parseOptions(['--scenario', 'send'])).toMatchObject({ senders: 20, roomSize: 50 });
    expect(() => parseOptions(['--scenario', 'burst'])).toThrow(/--scenario must be idle, fanout, rooms, send, scaleout/);
  });
});

describe('scale-out placement', () => {
  it('puts active rooms on the first half of the gateways (rounded up) and quiet rooms on the rest', () => {
    expect(scaleoutLayout(4)).toEqual({ active: [0, 1], quiet: [2, 3] });
    expect(scaleoutLayout(3)).toEqual({ active: [0, 1], quiet: [2] });
    expect(scaleoutLayout(5)).toEqual({ active: [0, 1, 2], quiet: [3, 4] });
    expect(() => scaleoutLayout(2)).toThrow(/at least 3/);
  });

  it('spreads each room’s sockets round-robin over its half', () => {
    const layout = scaleoutLayout(4);
    const activeRooms = 2;
    const place = (room: number): number[] => Array.from({ length: 5 }, (_, position) => serverFor(layout, activeRooms, room, position));
    expect(place(0)).toEqual([0, 1, 0, 1, 0]);
    expect(place(1)).toEqual([0, 1, 0, 1, 0]);
    expect(place(2)).toEqual([2, 3, 2, 3, 2]);
    expect(place(3)).toEqual([2, 3, 2, 3, 2]);
  });
});

const delta = (seconds: number, servers: [cpuSeconds: number, self: number, other: number][], redisOutputBytes = 0): ClusterDelta => ({
  seconds,
  servers: servers.map(([cpuSeconds, self, other], i) => ({ name: `gateway-${i + 1}`, cpuSeconds, roomPayloads: { self, other } })),
  redisOutputBytes,
});

describe('per-gateway figures', () => {
  // 10 s idle: gw1 and gw2 used 0.02 s (2 ms/s), gw3 0.01 s, gw4 0.
  const idle = delta(10, [[0.02, 0, 0], [0.02, 0, 0], [0.01, 0, 0], [0, 0, 0]]);

  it('divides each gateway’s CPU in the step by the messages acknowledged in the whole cluster, with and without its idle rate', () => {
    // A 5 s step of 1000 messages: gw1 0.06 s, gw2 0.05 s, gw3 0.0051 s, gw4 0.001 s.
    const step = delta(5, [[0.06, 600, 400], [0.05, 400, 600], [0.0051, 0, 0], [0.001, 0, 0]]);
    const figures = gatewayFigures(step, idle, 1000, scaleoutLayout(4));
    expect(figures.map((g) => g.holds)).toEqual(['active', 'active', 'quiet', 'quiet']);
    expect(figures.map((g) => g.cpuMicrosPerMessage)).toEqual([60, 50, 5.1, 1].map((v) => expect.closeTo(v, 9)));
    // Above idle: gw1 (0.06 − 0.002 × 5) s over 1000 = 50 µs; gw3 (0.0051 − 0.005) s = 0.1 µs.
    expect(figures.map((g) => g.aboveIdleMicrosPerMessage)).toEqual([50, 40, 0.1, 1].map((v) => expect.closeTo(v, 9)));
    // Each message reached gw1 and gw2 once (its publisher's copy counted too), and no quiet gateway.
    expect(figures.map((g) => g.payloadsPerMessage)).toEqual([1, 1, 0, 0]);
    expect(headline(figures)).toEqual({
      quietAboveIdleMicrosPerMessage: expect.closeTo(1, 9),
      activeAboveIdleMicrosPerMessage: expect.closeTo(50, 9),
      quietPayloadsPerMessage: 0,
    });
  });

  it('shows a quiet gateway spending less than idle as below zero, and no figure without messages or counters', () => {
    const step = delta(5, [[0.01, 0, 0], [0.01, 0, 0], [0.004, 0, 0], [0, 0, 0]]);
    expect(gatewayFigures(step, idle, 1000, scaleoutLayout(4))[2]!.aboveIdleMicrosPerMessage).toBeCloseTo(-1, 9);
    expect(gatewayFigures(step, idle, 0, scaleoutLayout(4)).every((g) => Number.isNaN(g.cpuMicrosPerMessage))).toBe(true);
    const baseline: ClusterDelta = { ...step, servers: step.servers.map((s) => ({ ...s, roomPayloads: undefined })) };
    const figures = gatewayFigures(baseline, idle, 1000, scaleoutLayout(4));
    expect(figures.every((g) => Number.isNaN(g.payloadsPerMessage))).toBe(true);
    expect(headline(figures).quietPayloadsPerMessage).toBeNaN();
  });

  it('reads Redis’s bytes out per message, and over a message’s size about how many servers each went to', () => {
    const figures = redisFigures(delta(5, [], 1000 * 2 * 400), 1000, 400);
    expect(figures).toEqual({ outputBytesPerMessage: 800, copiesPerMessage: 2 });
    expect(redisFigures(delta(5, [], 5000), 0, 400).outputBytesPerMessage).toBeNaN();
  });
});

describe('cluster readings', () => {
  it('takes the growth of every counter between two readings, and the seconds between their CPU reads', () => {
    const reading = (at: number, cpuSeconds: number, self: number, other: number, redisOutputBytes: number): ClusterReading => ({
      at,
      servers: [
        { name: 'gateway-1', cpuSeconds, roomPayloads: { self, other } },
        { name: 'baseline-1', cpuSeconds: cpuSeconds * 2, roomPayloads: undefined },
      ],
      redisOutputBytes,
    });
    expect(between(reading(1_000, 1.5, 10, 20, 5_000), reading(3_500, 1.75, 15, 22, 9_000))).toEqual({
      seconds: 2.5,
      servers: [
        { name: 'gateway-1', cpuSeconds: 0.25, roomPayloads: { self: 5, other: 2 } },
        { name: 'baseline-1', cpuSeconds: 0.5, roomPayloads: undefined },
      ],
      redisOutputBytes: 4_000,
    });
  });

  it('reads a labelled counter by label from Prometheus text: none counted yet is empty, undeclared is nothing', () => {
    const text = [
      `# HELP ${ROOM_PAYLOADS_METRIC} Payloads received on room channels`,
      `# TYPE ${ROOM_PAYLOADS_METRIC} counter`,
      `${ROOM_PAYLOADS_METRIC}{from="self"} 12`,
      `${ROOM_PAYLOADS_METRIC}{from="other",replica="gw1"} 30`,
      `${ROOM_PAYLOADS_METRIC}_created{from="self"} 1700000000`,
      'chat_room_channels_subscribed 41',
    ].join('\n');
    expect(valuesByLabel(text, ROOM_PAYLOADS_METRIC, 'from')).toEqual(new Map([['self', 12], ['other', 30]]));
    expect(valuesByLabel(text.split('\n').slice(0, 2).join('\n'), ROOM_PAYLOADS_METRIC, 'from')).toEqual(new Map());
    expect(valuesByLabel('# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3\n', ROOM_PAYLOADS_METRIC, 'from')).toBeUndefined();
  });

  it('reads total_net_output_bytes from INFO stats', () => {
    const info = '# Stats\r\ntotal_connections_received:5\r\ntotal_net_input_bytes:1200\r\ntotal_net_output_bytes:34161\r\ntotal_net_repl_output_bytes:0\r\n';
    expect(outputBytesOf(info)).toBe(34161);
    expect(() => outputBytesOf('# Stats\r\n')).toThrow(/total_net_output_bytes/);
  });
});

describe('--mark-read', () => {
  it('takes fanout and rooms against ours, and refuses what has no read cursors: the baseline, --compare, idle, send', () => {
    expect(parseOptions(['--scenario', 'fanout', '--mark-read']).markRead).toBe(true);
    expect(parseOptions(['--scenario', 'rooms', '--mark-read']).markRead).toBe(true);
    expect(parseOptions(['--scenario', 'fanout']).markRead).toBe(false);
    for (const argv of [
      ['--scenario', 'fanout', '--mark-read', '--compare'],
      ['--scenario', 'fanout', '--mark-read', '--target', 'baseline'],
      ['--scenario', 'idle', '--mark-read'],
      ['--scenario', 'send', '--mark-read'],
    ]) {
      expect(() => parseOptions(argv), argv.join(' ')).toThrow(/--mark-read needs read cursors/);
    }
  });
});
