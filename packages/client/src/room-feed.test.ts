import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Message } from '@chat/contract';
import { RoomFeed } from './room-feed.js';

const roomId = randomUUID();
const message = (seq: number): Message => ({
  id: `m${seq}`,
  roomId,
  seq,
  type: 'message',
  content: `m${seq}`,
  sender: { id: randomUUID(), username: 'ann' },
  clientId: `c${seq}`,
  timestamp: new Date().toISOString(),
});

function feed() {
  const got: number[] = [];
  return { feed: new RoomFeed((m) => got.push(m.seq)), got };
}

describe('RoomFeed', () => {
  it('hands messages on in seq order, each once, whatever order and however often they arrive', () => {
    const { feed: f, got } = feed();
    f.startAfter(4);
    for (const seq of [6, 5, 5, 8, 7, 4, 3, 9, 6]) f.add(message(seq));
    expect(got).toEqual([5, 6, 7, 8, 9]);
    expect(f.contiguous).toBe(9);
  });

  it('starts from the first message seen when nothing started it, and holds what comes after a gap', () => {
    const { feed: f, got } = feed();
    expect(f.contiguous).toBeUndefined();
    f.add(message(40));
    f.add(message(42));
    expect(got).toEqual([40]);
    expect([f.contiguous, f.waiting]).toEqual([40, 1]);
    // The gap filled (a rejoin's missed, a history page) releases what waited.
    f.add(message(41));
    expect(got).toEqual([40, 41, 42]);
    expect(f.waiting).toBe(0);
  });

  it('starts an empty room at seq 0, so its first message is seq 1', () => {
    const { feed: f, got } = feed();
    f.startAfter(0);
    f.add(message(2));
    expect(got).toEqual([]);
    f.add(message(1));
    expect(got).toEqual([1, 2]);
  });
});
