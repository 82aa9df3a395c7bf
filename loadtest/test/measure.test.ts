import { describe, expect, it } from 'vitest';
import { ChatError, type Message } from '@chat/client';
import type { LoadSocket } from '../src/clients/sockets.js';
import { DeliveryLedger, splitLate, StepStats } from '../src/measure/delivery.js';
import { faults, stepProblems, type StepReport } from '../src/scenarios/delivery-step.js';
import { Samples } from '../src/measure/samples.js';
import { SeqTracker } from '../src/measure/sequence.js';
import { formatTable } from '../src/report.js';

const receiver = (room = 0): LoadSocket => ({ room, roomId: `r${room}`, seq: new SeqTracker() }) as unknown as LoadSocket;
const message = (seq: number, clientId: string): Message =>
  ({ id: `m${seq}`, roomId: 'r0', seq, type: 'message', content: 'x', sender: { id: 'u', username: 'u' }, clientId, timestamp: '' }) as Message;

describe('SeqTracker', () => {
  it('counts duplicates and arrivals below the highest seq, and remembers every seq seen', () => {
    const t = new SeqTracker();
    for (const seq of [1, 2, 4, 3, 4, 5000]) t.record(seq);
    expect([t.received, t.duplicates, t.outOfOrder, t.highest]).toEqual([5, 1, 1, 5000]);
    expect([t.has(3), t.has(5000), t.has(6), t.has(999_999)]).toEqual([true, true, false, false]);
  });
});

describe('Samples', () => {
  it('reports nearest-rank percentiles and the max', () => {
    const s = new Samples();
    for (let i = 1; i <= 10_000; i++) s.add(i);
    expect(s.summary()).toMatchObject({ count: 10_000, p50: 5000, p95: 9500, p99: 9900, max: 10_000 });
    expect(new Samples().summary().count).toBe(0);
  });
});

describe('DeliveryLedger', () => {
  it('counts a message acknowledged but never delivered to one socket of its room as lost', () => {
    const room = [receiver(), receiver(), receiver()];
    const ledger = new DeliveryLedger([room]);
    const step = new StepStats(1);
    ledger.sent('a', 0, step);
    ledger.sent('b', 0, step);
    ledger.acked('a', { message: message(1, 'a') });
    ledger.acked('b', { message: message(2, 'b') });
    for (const r of room) ledger.received(r, message(1, 'a'));
    ledger.received(room[0]!, message(2, 'b'));
    ledger.received(room[1]!, message(2, 'b'));
    expect([step.expected, step.received, step.settled]).toEqual([6, 5, false]);
    expect(ledger.lost(step)).toBe(1);
    expect(step.latency.count).toBe(5);
  });

  it('counts refused, unanswered and command-answered sends as errors by code', () => {
    const ledger = new DeliveryLedger([[receiver()]]);
    const step = new StepStats(1);
    ledger.sent('a', 0, step);
    ledger.sent('b', 0, step);
    ledger.sent('c', 0, step);
    ledger.acked('a', new ChatError('rate_limited', 'slow down', 1_000));
    ledger.acked('b', new ChatError('network', 'message:send was not answered: operation has timed out'));
    ledger.acked('c', { command: 'stock', jobId: '1' });
    expect([step.acked, step.sendErrors, Object.fromEntries(step.errorCodes)]).toEqual([0, 3, { rate_limited: 1, network: 1, 'not-a-message': 1 }]);
    expect(step.settled).toBe(true);
  });
});

describe('late and lost', () => {
  it('counts a delivery missing at the deadline that came afterwards as late, and one that never came as lost', () => {
    const room = [receiver(), receiver()];
    const ledger = new DeliveryLedger([room]);
    const step = new StepStats(1);
    for (const [seq, id] of [[1, 'a'], [2, 'b']] as const) {
      ledger.sent(id, 0, step);
      ledger.acked(id, { message: message(seq, id) });
    }
    for (const r of room) ledger.received(r, message(1, 'a'));
    expect(step.lastDeliveryAt).toBeGreaterThan(0);
    const missing = ledger.missing(step);
    expect(missing.map((m) => m.seq)).toEqual([2, 2]);
    ledger.release(step);
    // After the deadline: one socket gets seq 2 at last, the other never does.
    ledger.received(room[0]!, message(2, 'b'));
    expect(splitLate(missing)).toEqual({ late: 1, lost: 1 });
    expect(step.received).toBe(2);
  });
});

describe('stepProblems', () => {
  const clean = (): StepReport =>
    ({
      lost: 0, late: 0, duplicates: 0, outOfOrder: 0, sendErrors: {}, sendsPerSecond: 100, generatorBound: false,
      latencyMs: { count: 10, p50: 5, p95: 8, p99: 9, max: 10, mean: 5 },
    }) as unknown as StepReport;

  it('passes a clean step and names everything that disqualifies one', () => {
    expect(stepProblems(clean(), { maxP99Ms: 100, targetRate: 100 })).toEqual([]);
    const bad = { ...clean(), lost: 1, late: 2, duplicates: 1, outOfOrder: 1, sendErrors: { timeout: 1 }, sendsPerSecond: 89, generatorBound: true };
    bad.latencyMs = { ...bad.latencyMs, p99: 150 };
    expect(stepProblems(bad, { maxP99Ms: 100, targetRate: 100 })).toEqual([
      'p99 > 100 ms', 'lost', 'late', 'send errors', 'dup', 'ooo', '< 90% of target rate', 'generator-bound',
    ]);
    // No latency at all (nothing delivered) is not under the bound.
    expect(stepProblems({ ...clean(), latencyMs: { ...clean().latencyMs, p99: NaN } }, { maxP99Ms: 100 })).toEqual(['p99 > 100 ms']);
  });

  it('reports loss and duplicates over a run as faults, and reordering only where the target promises order', () => {
    const unordered = { ...clean(), sendErrors: { timeout: 3 }, late: 4, outOfOrder: 5 };
    expect(faults([clean(), unordered], false)).toEqual([]);
    expect(faults([clean(), unordered], true)).toEqual(['5 deliveries out of seq order']);
    expect(faults([{ ...clean(), lost: 2 }, { ...clean(), duplicates: 1 }], false)).toEqual([
      '2 deliveries of acknowledged messages never arrived',
      '1 duplicate deliveries',
    ]);
  });
});

describe('formatTable', () => {
  it('lines up one column per key, numbers to the right', () => {
    expect(formatTable([{ target: 'ours', 'p99 ms': 12.5 }, { target: 'baseline', 'p99 ms': 7 }])).toBe(
      ['target    p99 ms', '--------  ------', 'ours        12.5', 'baseline       7', ''].join('\n'),
    );
  });
});
