import type { Target } from '../env/target.js';
import type { RunOptions } from '../options.js';
import { round } from '../util.js';
import { faults, stepRow } from './delivery-step.js';
import { bestStep, clean, cleanButOrder, runSteps } from './stepped.js';
import type { Row, ScenarioResult } from './types.js';

/**
 * Room fan-out: rooms of `roomSize`, `senders` each, the send rate stepped (stepped.ts).
 * Reports the highest delivered rate of a step with no problem at all, and the highest of a
 * step whose only problem was order (what a server that does not order deliveries reaches).
 */
export async function fanoutScenario(target: Target, options: RunOptions): Promise<ScenarioResult> {
  const run = await runSteps(target, options, 'fan');
  const perDelivery = (s: { report: { deliveredPerSecond: number } }): number => s.report.deliveredPerSecond;
  const best = bestStep(run.steps, clean, perDelivery);
  const bestUnordered = bestStep(run.steps, cleanButOrder, perDelivery);
  const reports = run.steps.map((s) => s.report);
  const summary: Row = {
    rooms: run.plan.rooms,
    sockets: run.sockets,
    'room size': run.plan.socketsPerRoom,
    'best delivered/s': best ? round(best.report.deliveredPerSecond) : 0,
    'at send rate/s': best?.rate ?? 0,
    'p99 ms there': best ? round(best.report.latencyMs.p99) : NaN,
    'cpu µs/deliv there': best ? round(best.report.cpuMicrosPerDelivery) : NaN,
    'gw µs/deliv there': best ? round(best.report.gatewayCpuMicrosPerDelivery, 1) : NaN,
    'best delivered/s, ooo allowed': bestUnordered ? round(bestUnordered.report.deliveredPerSecond) : 0,
    'p99 ms, ooo allowed': bestUnordered ? round(bestUnordered.report.latencyMs.p99) : NaN,
    'gw µs/deliv, ooo allowed': bestUnordered ? round(bestUnordered.report.gatewayCpuMicrosPerDelivery, 1) : NaN,
    'lost (all steps)': reports.reduce((a, r) => a + r.lost, 0),
    'late (all steps)': reports.reduce((a, r) => a + r.late, 0),
    'generator-bound steps': reports.filter((r) => r.generatorBound).length,
    'dup (all steps)': reports.reduce((a, r) => a + r.duplicates, 0),
    'ooo (all steps)': reports.reduce((a, r) => a + r.outOfOrder, 0),
    ...(run.markRead
      ? { 'room:read sent': run.markRead.reads, 'refused': run.markRead.refused, 'cursors written': run.markRead.cursorWrites }
      : {}),
  };
  return {
    scenario: 'fanout',
    target: target.name,
    rows: run.steps.map((s) => stepRow({ 'rate/s': s.rate }, s.report, s.problems)),
    summary,
    problems: faults(reports, target.name === 'ours'),
    details: { plan: run.plan, senders: run.senders, maxP99Ms: options.maxP99Ms, steps: run.steps, markRead: run.markRead },
  };
}
