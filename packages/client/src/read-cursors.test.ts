import { describe, expect, it } from 'vitest';
import { ChatError } from './errors.js';
import { ReadCursors } from './read-cursors.js';

/**
 * ReadCursors over a stand-in for `room:read`: each call is recorded and waits until the
 * test answers it, as the server would (the cursor only moves forward).
 */
function cursors() {
  const calls: { roomId: string; seq: number; answer(readSeq?: number): void; fail(err: Error): void }[] = [];
  const reads = new ReadCursors(
    (roomId, seq) =>
      new Promise<number>((resolve, reject) => {
        calls.push({ roomId, seq, answer: (readSeq = seq) => resolve(readSeq), fail: reject });
      }),
  );
  return { reads, calls };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('ReadCursors', () => {
  it('sends a mark above the known cursor and resolves with the answer; a mark at or below it sends nothing', async () => {
    const { reads, calls } = cursors();
    const first = reads.mark('r1', 5);
    expect(calls.map((c) => c.seq)).toEqual([5]);
    calls[0]!.answer();
    expect(await first).toBe(5);
    expect(reads.get('r1')).toBe(5);
    expect(await reads.mark('r1', 3)).toBe(5);
    expect(await reads.mark('r1', 5)).toBe(5);
    expect(calls).toHaveLength(1);
  });

  it('turns a burst of marks made while one is on its way into one more, of the highest seq', async () => {
    const { reads, calls } = cursors();
    const marks = [reads.mark('r1', 1), reads.mark('r1', 4), reads.mark('r1', 9), reads.mark('r1', 7)];
    expect(calls.map((c) => c.seq)).toEqual([1]);
    calls[0]!.answer();
    await settle();
    expect(calls.map((c) => c.seq)).toEqual([1, 9]);
    calls[1]!.answer();
    expect(await Promise.all(marks)).toEqual([1, 9, 9, 9]);
  });

  it('keeps the cursor the server answers when it was further already (another device read on)', async () => {
    const { reads, calls } = cursors();
    const mark = reads.mark('r1', 2);
    calls[0]!.answer(12);
    expect(await mark).toBe(12);
    expect(await reads.mark('r1', 10)).toBe(12);
    expect(calls).toHaveLength(1);
  });

  it('sends nothing up to a cursor observed from elsewhere, and keeps rooms apart', async () => {
    const { reads, calls } = cursors();
    reads.observe('r1', 8);
    reads.observe('r1', 6); // never back
    expect(await reads.mark('r1', 8)).toBe(8);
    const other = reads.mark('r2', 3);
    expect(calls.map((c) => [c.roomId, c.seq])).toEqual([['r2', 3]]);
    calls[0]!.answer();
    expect(await other).toBe(3);
    expect([reads.get('r1'), reads.get('r2'), reads.get('r3')]).toEqual([8, 3, 0]);
  });

  it('rejects the marks a failed send answered, leaves the cursor, and sends a later mark of the same seq again', async () => {
    const { reads, calls } = cursors();
    const failed = reads.mark('r1', 4);
    const meanwhile = reads.mark('r1', 6);
    calls[0]!.fail(new ChatError('network', 'not connected'));
    await expect(failed).rejects.toMatchObject({ code: 'network' });
    await settle();
    // The mark made while the first was out goes on its own.
    expect(calls.map((c) => c.seq)).toEqual([4, 6]);
    calls[1]!.fail(new ChatError('network', 'not connected'));
    await expect(meanwhile).rejects.toMatchObject({ code: 'network' });
    expect(reads.get('r1')).toBe(0);
    const again = reads.mark('r1', 4);
    expect(calls.map((c) => c.seq)).toEqual([4, 6, 4]);
    calls[2]!.answer();
    expect(await again).toBe(4);
  });
});
