import { expect } from 'vitest';
import { storedMessages, type TestUser } from '../../support/users.js';

/** Every acknowledged message is stored, the room's seqs are gapless, and each reader got every acknowledged message. */
export async function expectNothingAcknowledgedLost(
  member: TestUser,
  roomId: string,
  acked: { id: string; seq: number }[],
  readers: Map<number, { id: string }>[],
): Promise<void> {
  const stored = await storedMessages(member, roomId);
  expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
  const storedIds = new Set(stored.map((m) => m.id));
  for (const m of acked) expect(storedIds.has(m.id), `acked seq ${m.seq} stored`).toBe(true);
  for (const [i, seen] of readers.entries()) {
    const missing = acked.filter((m) => seen.get(m.seq)?.id !== m.id).map((m) => m.seq);
    expect(missing, `reader ${i} got every acked message`).toEqual([]);
  }
}
