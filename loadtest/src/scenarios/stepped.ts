import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { request } from '@chat/client';
import { closeAll, connectPopulation, createPopulation, type LoadSocket, type Placement, type RoomPlan } from '../clients/sockets.js';
import type { Target } from '../env/target.js';
import { DeliveryLedger, orderCounters, StepStats } from '../measure/delivery.js';
import { scrapeMetrics } from '../measure/resources.js';
import { MeasureWindow } from '../measure/window.js';
import type { RunOptions } from '../options.js';
import { log, round, sleep } from '../util.js';
import { finishStep, settleLate, stepProblems, type StepReport } from './delivery-step.js';
import { content } from './types.js';

/** The one step problem that does not end a run: deliveries that arrived out of seq order. */
export const ORDER_PROBLEM = 'ooo';

export interface JudgedStep {
  /** The step's target send rate (all senders together), per second. */
  rate: number;
  report: StepReport;
  /** Why the step cannot stand as a result (stepProblems); empty when it can. */
  problems: string[];
}

export interface SteppedRun {
  plan: RoomPlan;
  senders: number;
  sockets: number;
  steps: JudgedStep[];
  /** With --mark-read: `room:read` events sent, refused, and cursors the gateways wrote to PostgreSQL meanwhile. */
  markRead?: { reads: number; refused: number; cursorWrites: number };
}

/** How a stepped scenario lays out its load, and what it reads around the steps; every field optional. */
export interface SteppedLoad {
  /** Rooms and their sockets. @default `rooms` rooms of `roomSize` sockets, `usersPerRoom` users each */
  plan?: RoomPlan;
  /** Rooms (the plan's first ones) whose `senders` send; the rest only hold sockets. @default every room */
  sendingRooms?: number;
  /** Which server each socket connects to (connectPopulation). */
  placement?: Placement;
  /** Runs once after the warm-up, before the first step, with every socket connected and joined. */
  beforeSteps?: (sockets: readonly LoadSocket[]) => Promise<void>;
  /**
   * Runs right before each step's first send; the function it resolves to runs once that step
   * has drained. Called once per step, in the order of `SteppedRun.steps`.
   */
  aroundStep?: () => Promise<() => Promise<void>>;
}

/**
 * Rooms of `roomSize` sockets (or as `load` lays them out); `senders` of each room send,
 * open loop, at a total rate that starts at `rate` and grows by `rateFactor` each step,
 * until a step fails (see `stepProblems`: p99 over `maxP99Ms`, a delivery missing at the
 * drain deadline, a send error, dup, under 90% of the target rate, or the generator
 * saturated; arrivals out of seq order are counted and disqualify a step, but stepping
 * goes on past them).
 */
export async function runSteps(target: Target, options: RunOptions, label: string, load: SteppedLoad = {}): Promise<SteppedRun> {
  const plan: RoomPlan = load.plan ?? { rooms: options.rooms, socketsPerRoom: options.roomSize, usersPerRoom: options.usersPerRoom };
  const population = await createPopulation(target, plan, `${label}${Date.now().toString(36)}`);
  const byRoom: LoadSocket[][] = Array.from({ length: plan.rooms }, () => []);
  const ledger = new DeliveryLedger(byRoom);
  const marks = { reads: 0, refused: 0 };
  const refusals = new Map<string, number>();
  const markRead = (receiver: LoadSocket, seq: number): void => {
    marks.reads++;
    request(receiver.socket, 'room:read', { roomId: receiver.roomId, seq }, 30_000).catch((err: unknown) => {
      marks.refused++;
      const why = err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err);
      refusals.set(why, (refusals.get(why) ?? 0) + 1);
    });
  };
  const { sockets } = await connectPopulation(
    target,
    population,
    plan,
    options.connectConcurrency,
    (receiver, message) => {
      ledger.received(receiver, message);
      if (options.markRead && message.roomId === receiver.roomId) markRead(receiver, message.seq);
    },
    load.placement,
  );
  const cursorWrites = async (): Promise<number> =>
    (await Promise.all(target.servers.filter((s) => s.name.startsWith('gateway')).map(async (s) => (await scrapeMetrics(s.metricsUrl)).get('chat_read_cursor_writes_total') ?? 0))).reduce((a, b) => a + b, 0);
  const writesBefore = options.markRead ? await cursorWrites() : 0;
  for (const s of sockets) byRoom[s.room]!.push(s);
  const senders = byRoom.slice(0, load.sendingRooms ?? plan.rooms).flatMap((room) => room.slice(0, options.senders));
  const text = content(options.contentBytes);
  log(`${target.name}: ${sockets.length} sockets in ${plan.rooms} rooms, ${senders.length} senders`);
  await sleep(1_000);

  /**
   * Sends at `rate` for `seconds`, open loop: each message is due at started + i / rate and its
   * latency counts from then, so a generator or server falling behind shows up in the figures.
   * Resolves to when the first send was due, once the last one went out.
   */
  const sendAt = async (rate: number, seconds: number, step: StepStats): Promise<number> => {
    const total = Math.max(1, Math.round(rate * seconds));
    const started = performance.now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
        while (sent < due) {
          const sender = senders[sent % senders.length]!;
          const clientId = randomUUID();
          ledger.sent(clientId, sender.room, step, started + (sent * 1000) / rate);
          request(sender.socket, 'message:send', { roomId: sender.roomId, content: text, clientId }, 30_000).then(
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
    return started;
  };

  if (options.warmup > 0) {
    // Not measured: every server's code paths, connections and prepared statements see use first.
    log(`${target.name}: warming up for ${options.warmup} s at ${options.rate}/s`);
    const warm = new StepStats(plan.rooms);
    await sendAt(options.rate, options.warmup, warm);
    const deadline = Date.now() + 5_000;
    while (!warm.settled && Date.now() < deadline) await sleep(20);
    ledger.release(warm);
  }
  await load.beforeSteps?.(sockets);

  const steps: JudgedStep[] = [];
  for (let rate = options.rate; rate <= options.maxRate; rate = Math.ceil(rate * options.rateFactor)) {
    const step = new StepStats(plan.rooms);
    const orderBefore = orderCounters(sockets);
    const afterStep = await load.aroundStep?.();
    const window = new MeasureWindow(target.cpuGroups);
    const started = await sendAt(rate, options.stepSeconds, step);
    const report = await finishStep(ledger, step, sockets, orderBefore, window, started);
    await afterStep?.();
    const problems = stepProblems(report, { maxP99Ms: options.maxP99Ms, targetRate: rate });
    steps.push({ rate, report, problems });
    log(
      `${target.name}: rate ${rate}/s → delivered ${round(report.deliveredPerSecond)}/s, p99 ${round(report.latencyMs.p99)} ms, ` +
        `ack p50 ${round(report.ackLatencyMs.p50)} ms, gateway ${round(report.gatewayCpuMicrosPerSend)} µs/send, ${problems.length ? problems.join(', ') : 'ok'}`,
    );
    // Arrivals out of seq order alone do not end the run: the step still shows what latency allows.
    if (problems.some((p) => p !== ORDER_PROBLEM)) break;
  }
  // Deliveries missing at a step's deadline get a last chance: late, or lost for good.
  await settleLate(steps.map((s) => s.report));
  // Reads still unanswered when the sockets close fail as `network`: counted up to here only.
  const marksAtEnd = { ...marks };
  const refusedAtEnd = new Map(refusals);
  closeAll(sockets);
  // Late deliveries are known only now: judge every step again.
  const judged = steps.map((s) => ({ ...s, problems: stepProblems(s.report, { maxP99Ms: options.maxP99Ms, targetRate: s.rate }) }));
  if (!options.markRead) return { plan, senders: senders.length, sockets: sockets.length, steps: judged };
  await sleep(1_500); // the last coalesced cursor writes
  const marked = { ...marksAtEnd, cursorWrites: (await cursorWrites()) - writesBefore };
  const why = [...refusedAtEnd].map(([reason, n]) => `${n}× ${reason}`).join('; ');
  log(`${target.name}: mark-read: ${marked.reads} room:read sent (${marked.refused} refused${why ? `: ${why}` : ''}), ${marked.cursorWrites} cursors written to PostgreSQL`);
  return { plan, senders: senders.length, sockets: sockets.length, steps: judged, markRead: marked };
}

/** The step with the highest `by` among those `eligible`. */
export function bestStep<Step extends JudgedStep>(steps: readonly Step[], eligible: (s: Step) => boolean, by: (s: Step) => number): Step | undefined {
  return steps.filter(eligible).reduce<Step | undefined>((a, s) => (!a || by(s) > by(a) ? s : a), undefined);
}

export const clean = (s: JudgedStep): boolean => s.problems.length === 0;
export const cleanButOrder = (s: JudgedStep): boolean => s.problems.every((p) => p === ORDER_PROBLEM);
