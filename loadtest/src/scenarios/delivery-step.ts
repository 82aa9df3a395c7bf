import type { LoadSocket } from '../clients/sockets.js';
import { deliveryReport, orderCounters, type DeliveryLedger, type DeliveryReport, type StepStats } from '../measure/delivery.js';
import type { MeasureWindow, WindowReport } from '../measure/window.js';
import { round, sleep } from '../util.js';
import type { Row } from './types.js';

export interface StepReport extends DeliveryReport {
  /** Seconds the sends took (the step's length). */
  sendSeconds: number;
  sendsPerSecond: number;
  deliveredPerSecond: number;
  /** Server CPU per delivered message, in microseconds. */
  cpuMicrosPerDelivery: number;
  window: WindowReport;
}

/**
 * Waits for a step's acks and deliveries (up to `drainMs` after the last send), then
 * measures what arrived: loss against the acknowledged seqs, duplicates and reordering
 * since `orderBefore`, and server CPU over `window`.
 */
export async function finishStep(
  ledger: DeliveryLedger,
  step: StepStats,
  receivers: LoadSocket[],
  orderBefore: { duplicates: number; outOfOrder: number },
  window: MeasureWindow,
  sendSeconds: number,
  drainMs = 5_000,
): Promise<StepReport> {
  const deadline = Date.now() + drainMs;
  while (!step.settled && Date.now() < deadline) await sleep(20);
  const measured = window.finish();
  const lost = ledger.lost(step);
  const order = orderCounters(receivers);
  ledger.release(step);
  const report = deliveryReport(step, lost, {
    duplicates: order.duplicates - orderBefore.duplicates,
    outOfOrder: order.outOfOrder - orderBefore.outOfOrder,
  });
  return {
    ...report,
    sendSeconds,
    sendsPerSecond: step.sent / sendSeconds,
    deliveredPerSecond: step.received / sendSeconds,
    cpuMicrosPerDelivery: step.received > 0 ? (measured.totalCpuSeconds * 1e6) / step.received : NaN,
    window: measured,
  };
}

/** One table line for a step. */
export function stepRow(label: Row, r: StepReport): Row {
  const errors = Object.values(r.sendErrors).reduce((a, b) => a + b, 0);
  return {
    ...label,
    'sent/s': round(r.sendsPerSecond),
    'delivered/s': round(r.deliveredPerSecond),
    'p50 ms': round(r.latencyMs.p50),
    'p95 ms': round(r.latencyMs.p95),
    'p99 ms': round(r.latencyMs.p99),
    'max ms': round(r.latencyMs.max),
    'ack p99 ms': round(r.ackLatencyMs.p99),
    errors,
    lost: r.lost,
    dup: r.duplicates,
    ooo: r.outOfOrder,
    'cpu µs/deliv': round(r.cpuMicrosPerDelivery, 1),
    'gen loop': round(r.window.clientEventLoop, 2),
  };
}
