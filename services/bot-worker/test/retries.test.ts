import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@chat/testkit';
import { AI_UNAVAILABLE_TEXT, STOCK_UNAVAILABLE_TEXT } from '../src/index.js';
import { failThenOk } from './fakes/fake-stooq.js';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.stopWorkers();
});
afterAll(async () => {
  await h?.close();
});

/** Gaps between consecutive arrival times, in ms. */
const gaps = (times: number[]): number[] => times.slice(1).map((t, i) => t - times[i]!);

describe('retries with backoff', () => {
  it('waits the base delay, then twice that, between Stooq tries', async () => {
    const room = await h.seedRoom();
    h.stooq.script('backoff.us', ...failThenOk(2, { kind: 'status', status: 503 }, 8));
    const listener = await h.listen(0, room.roomId);
    await h.startWorker({ backoffMs: 200 });

    await h.command(room, room.alice, '/stock=BACKOFF.US');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe('BACKOFF.US quote is $8.00 per share');
    const [first, second] = gaps(h.stooq.requests('backoff.us').map((r) => r.at));
    expect(first).toBeGreaterThanOrEqual(200);
    expect(second).toBeGreaterThanOrEqual(400);
  });

  it('waits as long as Stooq’s Retry-After asks after a 429', async () => {
    const room = await h.seedRoom();
    h.stooq.script('limited.us', { kind: 'status', status: 429, retryAfter: '1' }, { kind: 'ok', close: 3 });
    const listener = await h.listen(1, room.roomId);
    await h.startWorker(); // backoff base 20 ms

    await h.command(room, room.alice, '/stock=LIMITED.US');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe('LIMITED.US quote is $3.00 per share');
    expect(gaps(h.stooq.requests('limited.us').map((r) => r.at))[0]).toBeGreaterThanOrEqual(1000);
  });

  it('waits as long as the AI provider’s Retry-After asks after a 429', async () => {
    const room = await h.seedRoom();
    h.openai.script({ kind: 'status', status: 429, retryAfter: '1' }, { kind: 'answer', chunks: ['Back.'] });
    const listener = await h.listen(0, room.roomId);
    await h.startWorker();
    const before = h.openai.requests().length;

    await h.command(room, room.alice, '/ai still there?');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe('Back.');
    const times = h.openai.requests().slice(before).map((r) => r.at);
    expect(times).toHaveLength(2);
    expect(gaps(times)[0]).toBeGreaterThanOrEqual(1000);
  });
});

describe('timeouts', () => {
  it('retries a Stooq answer whose body stalls after the headers, then answers "unavailable"', async () => {
    const room = await h.seedRoom();
    h.stooq.script('stall.us', { kind: 'stall' });
    const listener = await h.listen(0, room.roomId);
    await h.startWorker({ stooqTimeoutMs: 300 });

    const jobId = await h.command(room, room.alice, '/stock=STALL.US');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe(STOCK_UNAVAILABLE_TEXT);
    expect(h.stooq.requests('stall.us')).toHaveLength(3);
    await waitFor('the job to complete', async () => (await (await h.queues.stock.getJob(jobId))?.getState()) === 'completed');
  });

  it('answers with the quote when the try after a stalled body succeeds', async () => {
    const room = await h.seedRoom();
    h.stooq.script('stall2.us', { kind: 'stall' }, { kind: 'ok', close: '12.345' });
    const listener = await h.listen(1, room.roomId);
    await h.startWorker({ stooqTimeoutMs: 300 });

    await h.command(room, room.bob, '/stock=STALL2.US');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe('STALL2.US quote is $12.35 per share');
    expect(h.stooq.requests('stall2.us')).toHaveLength(2);
  });

  it('times out an AI stream that stalls, retries, and answers with the failure reply after three tries', async () => {
    const room = await h.seedRoom();
    h.openai.script({ kind: 'hang', chunks: ['Thinking'] }, { kind: 'hang' });
    const listener = await h.listen(0, room.roomId);
    await h.startWorker({ aiTimeoutMs: 300 });
    const before = h.openai.requests().length;

    await h.command(room, room.alice, '/ai take your time');
    const [message] = await listener.waitForMessages(1);

    expect(message).toMatchObject({ content: AI_UNAVAILABLE_TEXT, sender: { id: null, username: 'ai' } });
    const requests = h.openai.requests().slice(before);
    expect(requests).toHaveLength(3);
    // The first try streamed a delta before stalling, so the retries ask without streaming.
    expect(requests.map((r) => r.stream)).toEqual([true, false, false]);
    expect(listener.deltas.map((d) => d.delta)).toEqual(['Thinking']);
    expect(gaps(requests.map((r) => r.at)).every((gap) => gap >= 300)).toBe(true);
  });

  it('answers once the AI provider answers within the timeout on a retry', async () => {
    const room = await h.seedRoom();
    h.openai.script({ kind: 'hang' }, { kind: 'answer', chunks: ['On ', 'time.'] });
    const listener = await h.listen(1, room.roomId);
    await h.startWorker({ aiTimeoutMs: 300 });
    const before = h.openai.requests().length;

    await h.command(room, room.bob, '/ai now?');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe('On time.');
    expect(h.openai.requests().slice(before).map((r) => r.stream)).toEqual([true, true]);
    expect(listener.deltas.map((d) => d.delta)).toEqual(['On ', 'time.']);
  });
});
