import { expect } from 'vitest';
import type { Rest } from '../../support/rest.js';

/** Every acknowledged message is stored, the room's seqs are gapless, and each reader got every acknowledged message. */
export async function expectNothingAcknowledgedLost(
  rest: Rest,
  token: string,
  roomId: string,
  acked: { id: string; seq: number }[],
  readers: Map<number, { id: string }>[],
): Promise<void> {
  const stored = [];
  for (let after = 0; ; ) {
    const { messages } = await rest.history(token, roomId, { after, limit: 100 });
    stored.push(...messages);
    if (messages.length < 100) break;
    after = messages.at(-1)!.seq;
  }
  expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
  const storedIds = new Set(stored.map((m) => m.id));
  for (const m of acked) expect(storedIds.has(m.id), `acked seq ${m.seq} stored`).toBe(true);
  for (const [i, seen] of readers.entries()) {
    const missing = acked.filter((m) => seen.get(m.seq)?.id !== m.id).map((m) => m.seq);
    expect(missing, `reader ${i} got every acked message`).toEqual([]);
  }
}
