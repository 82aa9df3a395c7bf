import { performance } from 'node:perf_hooks';
import { ChatError, type Message, type MessageSendResult } from '@chat/client';
import type { LoadSocket } from '../clients/sockets.js';
import { Samples, type Summary } from './samples.js';

/** What one measured step (one send rate, or one run) sent, got acknowledged and delivered. */
export class StepStats {
  readonly latency = new Samples();
  readonly ack = new Samples();
  sent = 0;
  acked = 0;
  sendErrors = 0;
  /** Deliveries of this step's messages (one per receiving socket). */
  received = 0;
  /** Deliveries owed: for each acknowledged message, every socket in its room. */
  expected = 0;
  /** performance.now() of the last delivery of this step's messages (0: none yet). */
  lastDeliveryAt = 0;
  /** seqs acknowledged, per room index. */
  readonly ackedSeqs: number[][];
  readonly errorCodes = new Map<string, number>();

  constructor(rooms: number) {
    this.ackedSeqs = Array.from({ length: rooms }, () => []);
  }

  get settled(): boolean {
    return this.acked + this.sendErrors >= this.sent && this.received >= this.expected;
  }
}

/** A delivery owed and not seen: `receiver` never got `seq`. */
export interface Missing {
  receiver: LoadSocket;
  seq: number;
}

/** Of deliveries missing at a deadline, those that arrived since (late) and those still missing (lost). */
export function splitLate(missing: readonly Missing[]): { late: number; lost: number } {
  const late = missing.filter((m) => m.receiver.seq.has(m.seq)).length;
  return { late, lost: missing.length - late };
}

interface InFlight {
  /** When the send was due (open loop) or made (closed loop), performance.now() ms. */
  sentAt: number;
  step: StepStats;
  room: number;
}

/**
 * Follows every message the runner sends, by clientId: its ack, and its delivery to
 * each socket of the room (latency from the send; seq order, duplicates and loss per
 * receiver through each socket's SeqTracker).
 */
export class DeliveryLedger {
  private readonly inFlight = new Map<string, InFlight>();

  /** @param receivers sockets per room index (every one of them should get each message) */
  constructor(private readonly receivers: readonly LoadSocket[][]) {}

  sent(clientId: string, room: number, step: StepStats, sentAt = performance.now()): void {
    this.inFlight.set(clientId, { sentAt, step, room });
    step.sent++;
  }

  /** A send's outcome: what its ack carried, or the ChatError of a refusal (its code) or of no answer (`network`). */
  acked(clientId: string, answer: MessageSendResult | Error): void {
    const entry = this.inFlight.get(clientId);
    if (!entry) return;
    const { step } = entry;
    step.ack.add(performance.now() - entry.sentAt);
    if (answer instanceof Error || !('message' in answer)) {
      step.sendErrors++;
      const code = answer instanceof ChatError ? answer.code : answer instanceof Error ? 'error' : 'not-a-message';
      step.errorCodes.set(code, (step.errorCodes.get(code) ?? 0) + 1);
      return;
    }
    step.acked++;
    step.expected += this.receivers[entry.room]?.length ?? 0;
    step.ackedSeqs[entry.room]?.push(answer.message.seq);
  }

  received(receiver: LoadSocket, message: Message): void {
    receiver.seq.record(message.seq);
    const entry = message.clientId === null ? undefined : this.inFlight.get(message.clientId);
    if (!entry) return;
    const now = performance.now();
    entry.step.received++;
    entry.step.lastDeliveryAt = now;
    entry.step.latency.add(now - entry.sentAt);
  }

  /** Forgets a finished step's messages. */
  release(step: StepStats): void {
    for (const [clientId, entry] of this.inFlight) if (entry.step === step) this.inFlight.delete(clientId);
  }

  /** Deliveries of `step`'s acknowledged messages that have not happened: one per socket and seq. */
  missing(step: StepStats): Missing[] {
    const missing: Missing[] = [];
    step.ackedSeqs.forEach((seqs, room) => {
      for (const receiver of this.receivers[room] ?? []) for (const seq of seqs) if (!receiver.seq.has(seq)) missing.push({ receiver, seq });
    });
    return missing;
  }

  /** How many deliveries of `step`'s acknowledged messages have not happened (yet). */
  lost(step: StepStats): number {
    return this.missing(step).length;
  }
}

/** Sum of duplicate and out-of-order arrivals over every receiver, so far. */
export function orderCounters(receivers: readonly LoadSocket[]): { duplicates: number; outOfOrder: number } {
  let duplicates = 0;
  let outOfOrder = 0;
  for (const r of receivers) {
    duplicates += r.seq.duplicates;
    outOfOrder += r.seq.outOfOrder;
  }
  return { duplicates, outOfOrder };
}

export interface DeliveryReport {
  sent: number;
  acked: number;
  sendErrors: Record<string, number>;
  delivered: number;
  expected: number;
  /**
   * Deliveries still missing at the end of the run. Until `splitLate` runs at the end:
   * those missing at the step's drain deadline.
   */
  lost: number;
  /** Deliveries that came after the step's drain deadline but before the end of the run. */
  late: number;
  duplicates: number;
  outOfOrder: number;
  latencyMs: Summary;
  ackLatencyMs: Summary;
}

export function deliveryReport(step: StepStats, lost: number, order: { duplicates: number; outOfOrder: number }): DeliveryReport {
  return {
    sent: step.sent,
    acked: step.acked,
    sendErrors: Object.fromEntries(step.errorCodes),
    delivered: step.received,
    expected: step.expected,
    lost,
    late: 0,
    duplicates: order.duplicates,
    outOfOrder: order.outOfOrder,
    latencyMs: step.latency.summary(),
    ackLatencyMs: step.ack.summary(),
  };
}
