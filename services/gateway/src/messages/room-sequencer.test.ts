import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '@chat/contract';
import { createLogger } from '@chat/runtime';
import { RoomSequencer } from './room-sequencer.js';

const roomId = randomUUID();
const message = (seq: number, room = roomId): Message => ({
  id: randomUUID(),
  roomId: room,
  seq,
  type: 'system',
  content: `m${seq}`,
  sender: null,
  clientId: null,
  timestamp: new Date().toISOString(),
});
const settle = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A sequencer over an in-memory "database" of stored messages. */
function setup(options: { lastSeq?: number; stored?: Message[]; gapTimeoutMs?: number; failFetches?: number } = {}) {
  const delivered: number[] = [];
  const stored = new Map((options.stored ?? []).map((m) => [m.seq, m]));
  const fetches: [number, number][] = [];
  let failures = options.failFetches ?? 0;
  const sequencer = new RoomSequencer<Message>({
    logger: createLogger({ service: 'test', level: 'silent' }),
    gapTimeoutMs: options.gapTimeoutMs ?? 20,
    deliver: (m) => delivered.push(m.seq),
    lastSeq: async () => options.lastSeq ?? 0,
    fetch: async (_room, after, before) => {
      fetches.push([after, before]);
      if (failures-- > 0) throw new Error('database down');
      return [...stored.values()].filter((m) => m.seq > after && m.seq < before).sort((a, b) => a.seq - b.seq);
    },
  });
  return { sequencer, delivered, fetches, stored };
}

let active: RoomSequencer<Message> | undefined;
afterEach(() => active?.stop());

describe('RoomSequencer', () => {
  it('never delivers twice what arrived live while a gap was being read from the database', async () => {
    let release: () => void = () => undefined;
    const delivered: number[] = [];
    const stored = [1, 2, 3, 4].map((seq) => message(seq));
    const sequencer = new RoomSequencer<Message>({
      logger: createLogger({ service: 'test', level: 'silent' }),
      gapTimeoutMs: 5,
      deliver: (m) => delivered.push(m.seq),
      lastSeq: async () => 1,
      // The read is slow: it answers only once the live messages have come.
      fetch: async (_room, after, before) => {
        await new Promise<void>((resolve) => (release = resolve));
        return stored.filter((m) => m.seq > after && m.seq < before);
      },
    });
    active = sequencer;
    await sequencer.track(roomId);
    sequencer.push(message(4)); // 2 and 3 are late: after 5 ms they are read from the database
    await settle(30);
    sequencer.push(message(2));
    sequencer.push(message(3));
    expect(delivered).toEqual([2, 3, 4]);
    release();
    await settle(10);
    expect(delivered).toEqual([2, 3, 4]);
    sequencer.push(message(5));
    expect(delivered).toEqual([2, 3, 4, 5]);
  });

  it('delivers messages that arrive out of order in seq order, each once', async () => {
    const { sequencer, delivered } = setup({ lastSeq: 4 });
    active = sequencer;
    expect(await sequencer.track(roomId)).toBe(4);
    for (const seq of [6, 5, 5, 8, 7, 4, 9]) sequencer.push(message(seq));
    expect(delivered).toEqual([5, 6, 7, 8, 9]);
  });

  it('ignores rooms without a tracked socket', () => {
    const { sequencer, delivered } = setup();
    active = sequencer;
    sequencer.push(message(1));
    expect(delivered).toEqual([]);
    expect(sequencer.stats.rooms).toBe(0);
  });

  it('holds what arrives before the room\'s last seq is known, then delivers only what came after it', async () => {
    const { sequencer, delivered } = setup({ lastSeq: 10 });
    active = sequencer;
    const ready = sequencer.track(roomId);
    sequencer.push(message(12));
    sequencer.push(message(10));
    sequencer.push(message(11));
    expect(delivered).toEqual([]);
    expect(await ready).toBe(10);
    expect(delivered).toEqual([11, 12]);
  });

  it('tells a socket that joins later the last seq already delivered', async () => {
    const { sequencer } = setup({ lastSeq: 2 });
    active = sequencer;
    await sequencer.track(roomId);
    sequencer.push(message(3));
    sequencer.push(message(5));
    expect(await sequencer.track(roomId)).toBe(3);
  });

  it('reads a seq that never arrives from the database, after the gap timeout, and goes on in order', async () => {
    const { sequencer, delivered, fetches } = setup({ lastSeq: 0, stored: [message(1), message(2)] });
    active = sequencer;
    await sequencer.track(roomId);
    sequencer.push(message(3));
    expect(delivered).toEqual([]);
    await settle(60);
    expect(fetches).toEqual([[0, 3]]);
    expect(delivered).toEqual([1, 2, 3]);
    sequencer.push(message(2));
    sequencer.push(message(4));
    expect(delivered).toEqual([1, 2, 3, 4]);
  });

  it('does not read the database when the missing seq comes within the timeout', async () => {
    const { sequencer, delivered, fetches } = setup({ lastSeq: 0, gapTimeoutMs: 50 });
    active = sequencer;
    await sequencer.track(roomId);
    sequencer.push(message(2));
    await settle(10);
    sequencer.push(message(1));
    await settle(80);
    expect(delivered).toEqual([1, 2]);
    expect(fetches).toEqual([]);
  });

  it('tries the database again when a read fails', async () => {
    const { sequencer, delivered, fetches } = setup({ lastSeq: 0, stored: [message(1)], failFetches: 1 });
    active = sequencer;
    await sequencer.track(roomId);
    sequencer.push(message(2));
    await settle(120);
    expect(fetches.length).toBe(2);
    expect(delivered).toEqual([1, 2]);
  });

  it('skips a seq the database does not have either, so delivery never stalls', async () => {
    const { sequencer, delivered } = setup({ lastSeq: 0 });
    active = sequencer;
    await sequencer.track(roomId);
    sequencer.push(message(3));
    await settle(60);
    expect(delivered).toEqual([3]);
  });

  it('forgets a room its last socket left, and starts again from the stored last seq', async () => {
    const { sequencer, delivered } = setup({ lastSeq: 7 });
    active = sequencer;
    await sequencer.track(roomId);
    sequencer.push(message(8));
    sequencer.forget(roomId);
    sequencer.push(message(9));
    expect(sequencer.stats.rooms).toBe(0);
    expect(await sequencer.track(roomId)).toBe(7);
    sequencer.push(message(8));
    expect(delivered).toEqual([8, 8]);
  });

  it('keeps rooms apart', async () => {
    const other = randomUUID();
    const { sequencer, delivered } = setup({ lastSeq: 0 });
    active = sequencer;
    await Promise.all([sequencer.track(roomId), sequencer.track(other)]);
    sequencer.push(message(2, other));
    sequencer.push(message(1, roomId));
    sequencer.push(message(1, other));
    expect(delivered).toEqual([1, 1, 2]);
    expect(sequencer.stats.waiting).toBe(0);
  });

  it('resync: reads from the database, in order, what was stored after the last delivery and never arrived, then goes on live', async () => {
    const { sequencer, delivered, stored } = setup({ lastSeq: 2 });
    active = sequencer;
    await sequencer.track(roomId);
    sequencer.push(message(3));
    // Stored while the channel was away: 4…130 (more than one page), none of them published to us.
    for (let seq = 4; seq <= 130; seq++) stored.set(seq, message(seq));
    await sequencer.resync(async () => 130);
    expect(delivered).toEqual(Array.from({ length: 128 }, (_, i) => i + 3));
    sequencer.push(message(131));
    sequencer.push(message(100));
    expect(delivered.at(-1)).toBe(131);
    expect(delivered).toHaveLength(129);
  });

  it('resync: does nothing for a room with nothing new, and a failed read leaves the next message to show the gap', async () => {
    const { sequencer, delivered, fetches } = setup({ lastSeq: 5 });
    active = sequencer;
    await sequencer.track(roomId);
    await sequencer.resync(async () => 5);
    expect(fetches).toEqual([]);
    await sequencer.resync(async () => {
      throw new Error('database down');
    });
    sequencer.push(message(6));
    expect(delivered).toEqual([6]);
  });
});
