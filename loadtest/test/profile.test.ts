import { describe, expect, it } from 'vitest';
import { busyTimeline, placeOf, summarise } from '../src/profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// Three nodes; samples every 0.5 s: idle, ours, ours, a package, idle, ours.
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(idle)') },
    { id: 2, callFrame: frame('answer', 'file:///repo/services/gateway/dist/socket/ack.js', 9) },
    { id: 3, callFrame: frame('sendCommand', 'file:///repo/node_modules/ioredis/built/Redis.js', 353) },
  ],
  samples: [1, 2, 2, 3, 1, 2],
  timeDeltas: [500_000, 500_000, 500_000, 500_000, 500_000, 500_000],
};

describe('CPU profile summaries', () => {
  it('places code in a package, in Node, in a workspace of ours, or in a V8 bucket', () => {
    expect(placeOf(frame('x', 'file:///a/node_modules/@socket.io/redis-adapter/dist/index.js'))).toBe('@socket.io/redis-adapter');
    expect(placeOf(frame('x', 'node:events'))).toBe('node');
    expect(placeOf(frame('x', 'file:///repo/packages/store/dist/store.js'))).toBe('packages/store');
    expect(placeOf(frame('(garbage collector)'))).toBe('(garbage collector)');
  });

  it('adds self time per function and per place, idle left out, within a window', () => {
    const all = summarise([profile]);
    expect(all.busyMs).toBe(2000);
    expect(all.functions.map((f) => [f.name, f.selfMs, f.share])).toEqual([
      ['answer ack.js:10', 1500, 0.75],
      ['sendCommand Redis.js:354', 500, 0.25],
    ]);
    expect(all.places.map((p) => p.place)).toEqual(['services/gateway', 'ioredis']);
    // Samples end at 0.5, 1, 1.5, 2, 2.5 and 3 s: from 1 s to 2 s holds the first two `answer`s.
    const window = summarise([profile], { from: 1, to: 2 });
    expect(window.functions.map((f) => [f.name, f.selfMs])).toEqual([['answer ack.js:10', 1000]]);
    expect(busyTimeline(profile)).toEqual([0, 1000, 500, 500]);
  });
});
