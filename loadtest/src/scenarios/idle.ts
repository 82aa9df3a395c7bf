import { performance } from 'node:perf_hooks';
import { closeAll, connectPopulation, createPopulation, type RoomPlan } from '../clients/sockets.js';
import type { Target } from '../env/target.js';
import { memorySample, type MemorySample } from '../measure/resources.js';
import { MeasureWindow } from '../measure/window.js';
import type { RunOptions } from '../options.js';
import { log, round, sleep } from '../util.js';
import type { Row, ScenarioResult } from './types.js';

interface ServerMemory {
  name: string;
  before: MemorySample;
  after: MemorySample;
}

/**
 * Each server's memory, `rounds` times a second apart: with an inspector each reading
 * follows a full GC; the lowest heap seen (live data) and the last RSS are kept.
 */
async function settledMemory(target: Target, rounds: number): Promise<MemorySample[]> {
  const best = new Map<string, MemorySample>();
  for (let i = 0; i < rounds; i++) {
    if (i > 0) await sleep(1_000);
    for (const server of target.servers) {
      const sample = await memorySample(server);
      const seen = best.get(server.name);
      best.set(server.name, { heapUsed: Math.min(seen?.heapUsed ?? Infinity, sample.heapUsed), rss: sample.rss, sockets: sample.sockets });
    }
  }
  return target.servers.map((s) => best.get(s.name)!);
}

/**
 * N idle sockets, each authenticated and joined to a room; memory per socket on each gateway.
 * Every socket must connect and join (else the run fails) and still be connected at the end.
 */
export async function idleScenario(target: Target, options: RunOptions): Promise<ScenarioResult> {
  const plan: RoomPlan = {
    rooms: Math.max(1, Math.ceil(options.sockets / options.roomSize)),
    socketsPerRoom: Math.ceil(options.sockets / Math.max(1, Math.ceil(options.sockets / options.roomSize))),
    usersPerRoom: Math.min(options.usersPerRoom, options.roomSize),
  };
  const population = await createPopulation(target, plan, `idle${Date.now().toString(36)}`);
  if (target.servers.length === 0) log('no gateway metrics (--gateway-urls): memory per socket is not measured');
  const gcNote = target.servers.every((s) => s.inspector?.()) ? 'after a forced GC' : 'lowest of the samples (no inspector: no forced GC)';
  if (!target.servers.every((s) => s.inspector?.())) log(`${target.name}: heap read without a forced GC (no inspector): expect noise`);
  const before = await settledMemory(target, 3);
  log(`${target.name}: connecting ${plan.rooms * plan.socketsPerRoom} sockets`);
  const connectStarted = performance.now();
  const { sockets, stats } = await connectPopulation(target, population, plan, options.connectConcurrency, () => undefined);
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  log(`${target.name}: ${sockets.length} sockets held; measuring idle CPU for ${options.settle} s, then memory`);
  const window = new MeasureWindow(target.cpuGroups);
  await sleep(options.settle * 1000);
  const idle = window.finish();
  const after = await settledMemory(target, 3);
  const clientMemory = process.memoryUsage();
  const requested = plan.rooms * plan.socketsPerRoom;
  const held = sockets.filter((s) => s.socket.connected).length;
  closeAll(sockets);
  const problems = held < requested ? [`${requested - held} of ${requested} sockets were disconnected while idle`] : [];

  const servers: ServerMemory[] = target.servers.map((s, i) => ({ name: s.name, before: before[i]!, after: after[i]! }));
  const perSocket = (m: ServerMemory, key: 'heapUsed' | 'rss'): number => (m.after[key] - m.before[key]) / Math.max(1, m.after.sockets);
  const rows: Row[] = servers.map((m) => ({
    server: m.name,
    sockets: m.after.sockets,
    'heap MB': round(m.after.heapUsed / 2 ** 20),
    'heap/socket KB': round(perSocket(m, 'heapUsed') / 1024, 2),
    'rss MB': round(m.after.rss / 2 ** 20),
    'rss/socket KB': round(perSocket(m, 'rss') / 1024, 2),
  }));
  const totalSockets = servers.reduce((a, m) => a + m.after.sockets, 0);
  const heapDelta = servers.reduce((a, m) => a + m.after.heapUsed - m.before.heapUsed, 0);
  const rssDelta = servers.reduce((a, m) => a + m.after.rss - m.before.rss, 0);
  const connect = stats.connect.summary();
  return {
    scenario: 'idle',
    target: target.name,
    rows,
    summary: {
      requested,
      'held at end': held,
      'heap/socket KB': round(heapDelta / Math.max(1, totalSockets) / 1024, 2),
      'rss/socket KB': round(rssDelta / Math.max(1, totalSockets) / 1024, 2),
      'connect+join/s': round(sockets.length / connectSeconds),
      'gateway sockets': totalSockets,
      'connect p99 ms': round(connect.p99),
      'join p99 ms': round(stats.join.summary().p99),
      'idle cpu %': round((idle.totalCpuSeconds / idle.seconds) * 100),
    },
    problems,
    details: {
      plan,
      heapMeasured: gcNote,
      servers,
      connectMs: connect,
      joinMs: stats.join.summary(),
      connectSeconds,
      idleWindow: idle,
      client: { rss: clientMemory.rss, heapUsed: clientMemory.heapUsed },
    },
  };
}
