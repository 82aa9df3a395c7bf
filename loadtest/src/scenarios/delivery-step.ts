import { performance } from 'node:perf_hooks';
import type { LoadSocket } from '../clients/sockets.js';
import { deliveryReport, orderCounters, splitLate, type DeliveryLedger, type DeliveryReport, type Missing, type StepStats } from '../measure/delivery.js';
import type { MeasureWindow, WindowReport } from '../measure/window.js';
import { round, sleep } from '../util.js';
import type { Row } from './types.js';

/** The CPU group of the Socket.IO servers: ours' gateways, or the bare baseline servers. */
export const GATEWAY_GROUP = 'gateways';

/** Above this event-loop utilisation while sending, the generator, not the server, set the pace. */
export const GENERATOR_BOUND_ELU = 0.9;

export interface StepReport extends DeliveryReport {
  /** Seconds the sends took (the step's length). */
  sendSeconds: number;
  /** Seconds from the first send to the last delivery (the drain included). */
  deliverySeconds: number;
  sendsPerSecond: number;
  /** Deliveries over `deliverySeconds`: what the sockets were actually written at. */
  deliveredPerSecond: number;
  /** Server CPU per delivered message, in microseconds (every server process). */
  cpuMicrosPerDelivery: number;
  /** The gateways' CPU (the bare servers' for the baseline) per acknowledged send and per delivery, in microseconds. */
  gatewayCpuMicrosPerSend: number;
  gatewayCpuMicrosPerDelivery: number;
  /** This generator's event-loop utilisation while it sent. */
  generatorLoop: number;
  /** `generatorLoop` > GENERATOR_BOUND_ELU: the figures measure the generator. */
  generatorBound: boolean;
  window: WindowReport;
}

/** Deliveries missing at each step's drain deadline, kept out of the JSON report. */
const missingAtDeadline = new WeakMap<StepReport, Missing[]>();

/**
 * Waits for a step's acks and deliveries (up to `drainMs` after the last send), then
 * measures what arrived: deliveries still missing (`lost`, split into late and lost by
 * `settleLate` at the end of the run), duplicates and reordering since `orderBefore`,
 * and server CPU over `window`. `started` is when the step's first send was due.
 */
export async function finishStep(
  ledger: DeliveryLedger,
  step: StepStats,
  receivers: LoadSocket[],
  orderBefore: { duplicates: number; outOfOrder: number },
  window: MeasureWindow,
  started: number,
  drainMs = 5_000,
): Promise<StepReport> {
  const sendSeconds = (performance.now() - started) / 1000;
  const generatorLoop = window.clientEventLoopSoFar();
  const deadline = Date.now() + drainMs;
  while (!step.settled && Date.now() < deadline) await sleep(20);
  const measured = window.finish();
  const missing = ledger.missing(step);
  const order = orderCounters(receivers);
  ledger.release(step);
  const report = deliveryReport(step, missing.length, {
    duplicates: order.duplicates - orderBefore.duplicates,
    outOfOrder: order.outOfOrder - orderBefore.outOfOrder,
  });
  const deliverySeconds = Math.max(sendSeconds, ((step.lastDeliveryAt || started) - started) / 1000);
  const result: StepReport = {
    ...report,
    sendSeconds,
    deliverySeconds,
    sendsPerSecond: step.sent / sendSeconds,
    deliveredPerSecond: step.received / deliverySeconds,
    cpuMicrosPerDelivery: step.received > 0 ? (measured.totalCpuSeconds * 1e6) / step.received : NaN,
    gatewayCpuMicrosPerSend: step.acked > 0 ? ((measured.cpuSeconds[GATEWAY_GROUP] ?? NaN) * 1e6) / step.acked : NaN,
    gatewayCpuMicrosPerDelivery: step.received > 0 ? ((measured.cpuSeconds[GATEWAY_GROUP] ?? NaN) * 1e6) / step.received : NaN,
    generatorLoop,
    generatorBound: generatorLoop > GENERATOR_BOUND_ELU,
    window: measured,
  };
  missingAtDeadline.set(result, missing);
  return result;
}

/**
 * At the end of a run: gives deliveries that were missing at their step's deadline a last
 * `graceMs` (only when some are), then counts each as late (it came) or lost (it never did).
 */
export async function settleLate(reports: StepReport[], graceMs = 5_000): Promise<void> {
  if (reports.some((r) => (missingAtDeadline.get(r)?.length ?? 0) > 0)) await sleep(graceMs);
  for (const r of reports) Object.assign(r, splitLate(missingAtDeadline.get(r) ?? []));
}

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * Why a step's figures cannot stand as a result, in words; empty when they can. `targetRate`
 * is the send rate it was asked for (open loop), `maxP99Ms` the latency bound.
 */
export function stepProblems(r: StepReport, bound: { maxP99Ms?: number; targetRate?: number } = {}): string[] {
  const problems: string[] = [];
  if (bound.maxP99Ms !== undefined && !(r.latencyMs.p99 <= bound.maxP99Ms)) problems.push(`p99 > ${bound.maxP99Ms} ms`);
  if (r.lost > 0) problems.push('lost');
  if (r.late > 0) problems.push('late');
  if (sum(r.sendErrors) > 0) problems.push('send errors');
  if (r.duplicates > 0) problems.push('dup');
  if (r.outOfOrder > 0) problems.push('ooo');
  if (bound.targetRate !== undefined && r.sendsPerSecond < bound.targetRate * 0.9) problems.push('< 90% of target rate');
  if (r.generatorBound) problems.push('generator-bound');
  return problems;
}

/**
 * Faults over a run's steps, not load limits: acknowledged messages never delivered,
 * duplicate deliveries, and — where the target promises order (`ours`: each gateway
 * delivers a room in seq order) — arrivals out of seq order. The bare baseline does
 * not order deliveries; its ooo is counted and keeps a step from being the best.
 */
export function faults(reports: readonly StepReport[], promisesOrder: boolean): string[] {
  const total = (key: 'lost' | 'duplicates' | 'outOfOrder'): number => reports.reduce((a, r) => a + r[key], 0);
  const found: string[] = [];
  if (total('lost') > 0) found.push(`${total('lost')} deliveries of acknowledged messages never arrived`);
  if (total('duplicates') > 0) found.push(`${total('duplicates')} duplicate deliveries`);
  if (promisesOrder && total('outOfOrder') > 0) found.push(`${total('outOfOrder')} deliveries out of seq order`);
  return found;
}

/** One table line for a step. */
export function stepRow(label: Row, r: StepReport, problems: string[]): Row {
  return {
    ...label,
    'sent/s': round(r.sendsPerSecond),
    'delivered/s': round(r.deliveredPerSecond),
    'p50 ms': round(r.latencyMs.p50),
    'p95 ms': round(r.latencyMs.p95),
    'p99 ms': round(r.latencyMs.p99),
    'max ms': round(r.latencyMs.max),
    'ack p50 ms': round(r.ackLatencyMs.p50),
    'ack p99 ms': round(r.ackLatencyMs.p99),
    errors: sum(r.sendErrors),
    lost: r.lost,
    late: r.late,
    dup: r.duplicates,
    ooo: r.outOfOrder,
    'cpu µs/deliv': round(r.cpuMicrosPerDelivery, 1),
    'gw µs/send': round(r.gatewayCpuMicrosPerSend, 1),
    'gw µs/deliv': round(r.gatewayCpuMicrosPerDelivery, 1),
    'gen loop': round(r.generatorLoop, 2),
    note: problems.length ? problems.join(', ') : 'ok',
  };
}
