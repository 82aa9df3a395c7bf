import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { closeAll, connectPopulation, createPopulation, type LoadSocket, type RoomPlan } from '../clients/sockets.js';
import type { Target } from '../env/target.js';
import { DeliveryLedger, orderCounters, StepStats } from '../measure/delivery.js';
import { MeasureWindow } from '../measure/window.js';
import type { RunOptions } from '../options.js';
import { log, round, sleep } from '../util.js';
import { faults, finishStep, settleLate, stepProblems, stepRow, type StepReport } from './delivery-step.js';
import { content, type Row, type ScenarioResult } from './types.js';

/** The one step problem that does not end a run: deliveries that arrived out of seq order. */
const ORDER_PROBLEM = 'ooo';

/**
 * Rooms of `roomSize` sockets; `senders` of each room send, open loop, at a total rate
 * that starts at `rate` and grows by `rateFactor` each step, until a step fails (see
 * `stepProblems`: p99 over `maxP99Ms`, a delivery missing at the drain deadline, a send
 * error, dup, under 90% of the target rate, or the generator saturated; arrivals out of
 * seq order are counted and disqualify a step, but stepping goes on past them). Reports
 * the highest delivered rate of a step with no problem at all, and the highest of a step
 * whose only problem was order (what a server that does not order deliveries reaches).
 */
export async function fanoutScenario(target: Target, options: RunOptions): Promise<ScenarioResult> {
  const plan: RoomPlan = { rooms: options.rooms, socketsPerRoom: options.roomSize, usersPerRoom: options.usersPerRoom };
  const population = await createPopulation(target, plan, `fan${Date.now().toString(36)}`);
  const byRoom: LoadSocket[][] = Array.from({ length: plan.rooms }, () => []);
  const ledger = new DeliveryLedger(byRoom);
  const { sockets } = await connectPopulation(target, population, plan, options.connectConcurrency, (receiver, message) => ledger.received(receiver, message));
  for (const s of sockets) byRoom[s.room]!.push(s);
  const senders = byRoom.flatMap((room) => room.slice(0, options.senders));
  const text = content(options.contentBytes);
  log(`${target.name}: ${sockets.length} sockets in ${plan.rooms} rooms, ${senders.length} senders`);
  await sleep(1_000);

  const steps: { rate: number; report: StepReport }[] = [];
  for (let rate = options.rate; rate <= options.maxRate; rate = Math.ceil(rate * options.rateFactor)) {
    const step = new StepStats(plan.rooms);
    const orderBefore = orderCounters(sockets);
    const window = new MeasureWindow(target.cpuGroups);
    const total = Math.max(1, Math.round(rate * options.stepSeconds));
    const started = performance.now();
    let sent = 0;
    // Open loop: each message is due at started + i / rate and its latency counts from then,
    // so a generator or server falling behind shows up in the figures.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
        while (sent < due) {
          const sender = senders[sent % senders.length]!;
          const clientId = randomUUID();
          ledger.sent(clientId, sender.room, step, started + (sent * 1000) / rate);
          sender.socket
            .timeout(30_000)
            .emitWithAck('message:send', { roomId: sender.roomId, content: text, clientId })
            .then(
              (answer) => ledger.acked(clientId, answer),
              (err: unknown) => ledger.acked(clientId, err instanceof Error ? err : new Error(String(err))),
            );
          sent++;
        }
        if (sent >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 2);
    });
    const report = await finishStep(ledger, step, sockets, orderBefore, window, started);
    steps.push({ rate, report });
    const problems = stepProblems(report, { maxP99Ms: options.maxP99Ms, targetRate: rate });
    log(`${target.name}: rate ${rate}/s → delivered ${round(report.deliveredPerSecond)}/s, p99 ${round(report.latencyMs.p99)} ms, ${problems.length ? problems.join(', ') : 'ok'}`);
    // Arrivals out of seq order alone do not end the run: the step still shows what latency allows.
    if (problems.some((p) => p !== ORDER_PROBLEM)) break;
  }
  // Deliveries missing at a step's deadline get a last chance: late, or lost for good.
  await settleLate(steps.map((s) => s.report));
  closeAll(sockets);

  const judged = steps.map((s) => ({ ...s, problems: stepProblems(s.report, { maxP99Ms: options.maxP99Ms, targetRate: s.rate }) }));
  const best = judged
    .filter((s) => s.problems.length === 0)
    .reduce<(typeof judged)[number] | undefined>((a, s) => (!a || s.report.deliveredPerSecond > a.report.deliveredPerSecond ? s : a), undefined);
  const bestUnordered = judged
    .filter((s) => s.problems.every((p) => p === ORDER_PROBLEM))
    .reduce<(typeof judged)[number] | undefined>((a, s) => (!a || s.report.deliveredPerSecond > a.report.deliveredPerSecond ? s : a), undefined);
  const rows = judged.map((s) => stepRow({ 'rate/s': s.rate }, s.report, s.problems));
  const summary: Row = {
    rooms: plan.rooms,
    sockets: sockets.length,
    'room size': plan.socketsPerRoom,
    'best delivered/s': best ? round(best.report.deliveredPerSecond) : 0,
    'at send rate/s': best?.rate ?? 0,
    'p99 ms there': best ? round(best.report.latencyMs.p99) : NaN,
    'cpu µs/deliv there': best ? round(best.report.cpuMicrosPerDelivery) : NaN,
    'best delivered/s, ooo allowed': bestUnordered ? round(bestUnordered.report.deliveredPerSecond) : 0,
    'lost (all steps)': steps.reduce((a, s) => a + s.report.lost, 0),
    'late (all steps)': steps.reduce((a, s) => a + s.report.late, 0),
    'generator-bound steps': steps.filter((s) => s.report.generatorBound).length,
    'dup (all steps)': steps.reduce((a, s) => a + s.report.duplicates, 0),
    'ooo (all steps)': steps.reduce((a, s) => a + s.report.outOfOrder, 0),
  };
  const problems = faults(steps.map((s) => s.report), target.name === 'ours');
  return { scenario: 'fanout', target: target.name, rows, summary, problems, details: { plan, senders: senders.length, maxP99Ms: options.maxP99Ms, steps } };
}
