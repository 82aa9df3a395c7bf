import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TypingTracker } from './typing.tracker.js';

const alice = { id: '00000000-0000-4000-8000-000000000001', username: 'alice' };

describe('typing tracker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lapses to false after the ttl without renewal, and a renewal pushes the lapse back', () => {
    const relayed: boolean[] = [];
    const typing = new TypingTracker({ ttlMs: 5_000, broadcast: (_room, _user, isTyping) => relayed.push(isTyping) });
    typing.update('s1', 'r1', alice, true);
    vi.advanceTimersByTime(3_000);
    typing.update('s1', 'r1', alice, true);
    vi.advanceTimersByTime(4_999);
    expect(relayed).toEqual([true, true]);
    vi.advanceTimersByTime(1);
    expect(relayed).toEqual([true, true, false]);
  });

  it('relays rapid renewals at most once per fifth of the ttl, and stops once', () => {
    const relayed: boolean[] = [];
    const typing = new TypingTracker({ ttlMs: 5_000, broadcast: (_room, _user, isTyping) => relayed.push(isTyping) });
    for (let i = 0; i < 20; i++) {
      typing.update('s1', 'r1', alice, true);
      vi.advanceTimersByTime(100);
    }
    expect(relayed).toEqual([true, true]);
    typing.update('s1', 'r1', alice, false);
    typing.update('s1', 'r1', alice, false);
    typing.stop('s1', 'r1');
    vi.advanceTimersByTime(10_000);
    expect(relayed).toEqual([true, true, false]);
  });
});
