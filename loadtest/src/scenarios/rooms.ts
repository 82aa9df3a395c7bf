import type { Target } from '../env/target.js';
import type { RunOptions } from '../options.js';
import { round } from '../util.js';
import { faults, stepRow } from './delivery-step.js';
import { bestStep, clean, cleanButOrder, runSteps, type JudgedStep } from './stepped.js';
import type { Row, ScenarioResult } from './types.js';

/**
 * Many small rooms (real chats): rooms of `roomSize` with `senders` each (default 200 × 5,
 * one sender), the send rate stepped as in fan-out. Here the fixed cost of a send decides,
 * so the headline is per send: the gateways' CPU per send, send → ack latency and delivery
 * latency at `checkRate` sends/s, and the highest clean send rate.
 */
export async function roomsScenario(target: Target, options: RunOptions): Promise<ScenarioResult> {
  const run = await runSteps(target, options, 'rooms');
  const bySends = (s: JudgedStep): number => s.report.sendsPerSecond;
  const best = bestStep(run.steps, clean, bySends);
  const bestUnordered = bestStep(run.steps, cleanButOrder, bySends);
  const check = run.steps.reduce<JudgedStep | undefined>(
    (a, s) => (!a || Math.abs(s.rate - options.checkRate) < Math.abs(a.rate - options.checkRate) ? s : a),
    undefined,
  );
  const reports = run.steps.map((s) => s.report);
  const summary: Row = {
    rooms: run.plan.rooms,
    'room size': run.plan.socketsPerRoom,
    senders: run.senders,
    'best clean sends/s': best ? round(best.report.sendsPerSecond) : 0,
    'gw µs/send there': best ? round(best.report.gatewayCpuMicrosPerSend, 1) : NaN,
    [`at ${check?.rate ?? options.checkRate}/s: gw µs/send`]: check ? round(check.report.gatewayCpuMicrosPerSend, 1) : NaN,
    'ack p50 ms': check ? round(check.report.ackLatencyMs.p50) : NaN,
    'ack p99 ms': check ? round(check.report.ackLatencyMs.p99) : NaN,
    'delivery p50 ms': check ? round(check.report.latencyMs.p50) : NaN,
    'delivery p99 ms': check ? round(check.report.latencyMs.p99) : NaN,
    'best sends/s, ooo allowed': bestUnordered ? round(bestUnordered.report.sendsPerSecond) : 0,
    'lost (all steps)': reports.reduce((a, r) => a + r.lost, 0),
    'late (all steps)': reports.reduce((a, r) => a + r.late, 0),
    'dup (all steps)': reports.reduce((a, r) => a + r.duplicates, 0),
    'ooo (all steps)': reports.reduce((a, r) => a + r.outOfOrder, 0),
  };
  return {
    scenario: 'rooms',
    target: target.name,
    rows: run.steps.map((s) => stepRow({ 'rate/s': s.rate }, s.report, s.problems)),
    summary,
    problems: faults(reports, target.name === 'ours'),
    details: { plan: run.plan, senders: run.senders, maxP99Ms: options.maxP99Ms, checkRate: options.checkRate, steps: run.steps, markRead: run.markRead },
  };
}
