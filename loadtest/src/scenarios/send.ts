import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { request } from '@chat/client';
import { closeAll, connectPopulation, createPopulation, type LoadSocket, type RoomPlan } from '../clients/sockets.js';
import type { Target } from '../env/target.js';
import { DeliveryLedger, orderCounters, StepStats } from '../measure/delivery.js';
import { MeasureWindow } from '../measure/window.js';
import type { RunOptions } from '../options.js';
import { log, round, sleep } from '../util.js';
import { faults, finishStep, settleLate, stepProblems, stepRow } from './delivery-step.js';
import { content, type ScenarioResult } from './types.js';

/**
 * Durable sends into one busy room: `senders` of its `roomSize` sockets each keep
 * `window` sends in flight (closed loop: the next goes when an ack comes back, and an
 * ack comes only after the commit) for `duration` seconds.
 */
export async function sendScenario(target: Target, options: RunOptions): Promise<ScenarioResult> {
  const plan: RoomPlan = { rooms: 1, socketsPerRoom: Math.max(options.roomSize, options.senders), usersPerRoom: options.usersPerRoom };
  const population = await createPopulation(target, plan, `send${Date.now().toString(36)}`);
  const byRoom: LoadSocket[][] = [[]];
  const ledger = new DeliveryLedger(byRoom);
  const { sockets } = await connectPopulation(target, population, plan, options.connectConcurrency, (receiver, message) => ledger.received(receiver, message));
  byRoom[0]!.push(...sockets);
  const senders = sockets.slice(0, options.senders);
  const text = content(options.contentBytes);
  log(`${target.name}: ${sockets.length} sockets in one room, ${senders.length} senders × ${options.window} in flight, ${options.duration} s`);
  await sleep(1_000);

  const step = new StepStats(1);
  const orderBefore = orderCounters(sockets);
  const window = new MeasureWindow(target.cpuGroups);
  const started = performance.now();
  const endAt = started + options.duration * 1000;
  const loop = async (sender: LoadSocket): Promise<void> => {
    while (performance.now() < endAt) {
      const clientId = randomUUID();
      ledger.sent(clientId, 0, step);
      const answer = await request(sender.socket, 'message:send', { roomId: sender.roomId, content: text, clientId }, 30_000).catch((err: unknown) =>
        err instanceof Error ? err : new Error(String(err)),
      );
      ledger.acked(clientId, answer);
    }
  };
  await Promise.all(senders.flatMap((s) => Array.from({ length: options.window }, () => loop(s))));
  const report = await finishStep(ledger, step, sockets, orderBefore, window, started);
  await settleLate([report]);
  closeAll(sockets);
  const ackedPerSecond = report.acked / report.sendSeconds;
  const problems = stepProblems(report);
  log(`${target.name}: ${round(ackedPerSecond)} acked sends/s, ack p99 ${round(report.ackLatencyMs.p99)} ms, ${problems.length ? problems.join(', ') : 'ok'}`);

  return {
    scenario: 'send',
    target: target.name,
    rows: [stepRow({ senders: senders.length, window: options.window, 'acked/s': round(ackedPerSecond) }, report, problems)],
    summary: {
      'durable sends/s': round(ackedPerSecond),
      'ack p50 ms': round(report.ackLatencyMs.p50),
      'ack p95 ms': round(report.ackLatencyMs.p95),
      'ack p99 ms': round(report.ackLatencyMs.p99),
      'ack max ms': round(report.ackLatencyMs.max),
      'delivery p99 ms': round(report.latencyMs.p99),
      'cpu µs/send': round((report.window.totalCpuSeconds * 1e6) / Math.max(1, report.acked)),
      lost: report.lost,
      late: report.late,
      dup: report.duplicates,
      ooo: report.outOfOrder,
      note: problems.length ? problems.join(', ') : 'ok',
    },
    problems: [...faults([report], target.name === 'ours'), ...(report.acked < report.sent ? [`${report.sent - report.acked} sends not acknowledged`] : [])],
    details: { plan, senders: senders.length, window: options.window, report },
  };
}
