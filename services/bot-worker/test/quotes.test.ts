import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commandRequestId } from '@chat/runtime';
import { sleep, waitFor } from '@chat/testkit';
import { STOCK_UNAVAILABLE_TEXT } from '../src/index.js';
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

describe('stock quotes', () => {
  it('stores the quote once and broadcasts it to the room on both replicas', async () => {
    const room = await h.seedRoom();
    h.stooq.script('aapl.us', { kind: 'ok', close: 93.4187 });
    const [onFirst, onSecond] = [await h.listen(0, room.roomId), await h.listen(1, room.roomId)];
    await h.startWorker();

    const jobId = await h.command(room, room.alice, '/stock=aapl.us');
    const [message] = await onSecond.waitForMessages(1);
    await onFirst.waitForMessages(1);

    expect(message).toMatchObject({
      roomId: room.roomId,
      seq: 1,
      type: 'bot',
      content: 'AAPL.US quote is $93.42 per share',
      sender: { id: null, username: 'stock-bot' },
      clientId: null,
    });
    expect(onFirst.messages).toEqual([message]);
    expect(await h.botMessages(room.roomId)).toEqual([message]);
    // The contract's URL, with the code lower-cased.
    expect(h.stooq.requests('aapl.us').map((r) => r.url)).toEqual(['/q/l/?s=aapl.us&f=sd2t2ohlcv&h&e=csv']);
    const job = await h.queues.stock.getJob(jobId);
    expect(await job?.getState()).toBe('completed');
    expect(job?.returnvalue).toEqual({ messageId: message!.id, seq: 1 });
  });

  it('rounds Stooq’s close half-up on its decimal digits', async () => {
    const room = await h.seedRoom();
    h.stooq.script('half.us', { kind: 'ok', close: '183.045' });
    h.stooq.script('penny.us', { kind: 'ok', close: '1.005' });
    const listener = await h.listen(0, room.roomId);
    await h.startWorker();

    await h.command(room, room.alice, '/stock=HALF.US');
    await h.command(room, room.alice, '/stock=PENNY.US');
    const messages = await listener.waitForMessages(2);

    expect(messages.map((m) => m.content).sort()).toEqual(['HALF.US quote is $183.05 per share', 'PENNY.US quote is $1.01 per share']);
  });

  it('answers "no quote" for an N/D symbol without retrying', async () => {
    const room = await h.seedRoom();
    h.stooq.script('nosuch.us', { kind: 'nd' });
    const listener = await h.listen(1, room.roomId);
    await h.startWorker();

    await h.command(room, room.bob, '/stock=NOSUCH.US');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe('Sorry, no quote for NOSUCH.US.');
    expect(h.stooq.requests('nosuch.us')).toHaveLength(1);
  });

  it('retries after a timeout and answers with the quote from the next try', async () => {
    const room = await h.seedRoom();
    h.stooq.script('msft.us', { kind: 'slow', delayMs: 2000, close: 1 }, { kind: 'ok', close: 410.5 });
    const listener = await h.listen(0, room.roomId);
    await h.startWorker();

    await h.command(room, room.alice, '/stock=MSFT.US');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe('MSFT.US quote is $410.50 per share');
    expect(h.stooq.requests('msft.us')).toHaveLength(2);
    expect(await h.botMessages(room.roomId)).toHaveLength(1);
  });

  it.each([
    ['HTTP 503', { kind: 'status', status: 503 }],
    ['an HTML page', { kind: 'html' }],
    ['broken CSV', { kind: 'broken' }],
  ] as const)('retries after %s and then succeeds', async (_name, failure) => {
    const room = await h.seedRoom();
    const symbol = `r${Math.random().toString(36).slice(2, 8)}.us`;
    h.stooq.script(symbol, ...failThenOk(2, failure, 12));
    const listener = await h.listen(0, room.roomId);
    await h.startWorker();

    await h.command(room, room.alice, `/stock=${symbol}`);
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe(`${symbol.toUpperCase()} quote is $12.00 per share`);
    expect(h.stooq.requests(symbol)).toHaveLength(3);
  });

  it('answers that the service is unavailable after three failed tries', async () => {
    const room = await h.seedRoom();
    h.stooq.script('down.us', { kind: 'status', status: 502 });
    const listener = await h.listen(1, room.roomId);
    const worker = await h.startWorker();

    const jobId = await h.command(room, room.alice, '/stock=DOWN.US');
    const [message] = await listener.waitForMessages(1);

    expect(message?.content).toBe(STOCK_UNAVAILABLE_TEXT);
    expect(message?.sender).toEqual({ id: null, username: 'stock-bot' });
    expect(h.stooq.requests('down.us')).toHaveLength(3);
    expect(await h.botMessages(room.roomId)).toEqual([message]);
    const job = await h.queues.stock.getJob(jobId);
    expect(job?.attemptsMade).toBe(3);
    const metrics = await worker.registry.metrics();
    expect(metrics).toMatch(/bot_replies_total\{queue="stock",outcome="unavailable",service="bot-worker"\} 1/);
    expect(metrics).toMatch(/bot_jobs_failed_total\{queue="stock",final="false",service="bot-worker"\} 2/);
  });

  it('re-broadcasts the reply an earlier attempt stored instead of asking Stooq again', async () => {
    const room = await h.seedRoom();
    const clientId = 'crashed-after-store';
    const jobId = commandRequestId(room.roomId, room.alice.id, clientId);
    // What a worker that stored its answer and died before completing the job leaves behind.
    const { message: stored } = await h.store.messages.appendOne({
      roomId: room.roomId,
      type: 'bot',
      botName: 'stock-bot',
      jobId,
      content: 'SAVED.US quote is $2.00 per share',
    });
    const listener = await h.listen(1, room.roomId);
    const worker = await h.startWorker();

    expect(await h.command(room, room.alice, '/stock=SAVED.US', clientId)).toBe(jobId);
    const [message] = await listener.waitForMessages(1);
    await sleep(100);

    expect(message).toEqual(stored);
    expect(listener.messages).toHaveLength(1);
    expect(h.stooq.requests('saved.us')).toEqual([]);
    expect(await h.botMessages(room.roomId)).toEqual([stored]);
    expect(await worker.registry.metrics()).toMatch(/bot_replies_total\{queue="stock",outcome="replayed"[^}]*\} 1/);
  });

  it('fails a job with invalid data at once, without retries or a reply', async () => {
    const room = await h.seedRoom();
    await h.startWorker();
    const job = await h.queues.stock.add('stock', {
      requestId: 'not-a-uuid',
      roomId: room.roomId,
      requestedBy: room.alice,
      code: 'AAPL.US',
    });

    await waitFor('the job to fail', async () => (await job.getState()) === 'failed');
    const failed = await h.queues.stock.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/invalid job data.*requestId/);
    expect(await h.botMessages(room.roomId)).toEqual([]);
  });

  it('keeps at most `stockConcurrency` quotes in flight per worker', async () => {
    const room = await h.seedRoom();
    const codes = Array.from({ length: 9 }, (_, i) => `conc${i}.us`);
    for (const code of codes) h.stooq.script(code, { kind: 'slow', delayMs: 300, close: 1 });
    const listener = await h.listen(0, room.roomId);
    for (const code of codes) await h.command(room, room.alice, `/stock=${code}`);
    h.stooq.resetMaxInFlight();

    await h.startWorker({ stockConcurrency: 3 });
    await listener.waitForMessages(codes.length);

    expect(h.stooq.maxInFlight()).toBe(3);
  });

  it('starts no more stock jobs per second than the rate limit allows', async () => {
    const room = await h.seedRoom();
    const codes = Array.from({ length: 6 }, (_, i) => `rate${i}.us`);
    const listener = await h.listen(0, room.roomId);
    for (const code of codes) await h.command(room, room.alice, `/stock=${code}`);

    await h.startWorker({ stockRatePerSecond: 2 });
    await listener.waitForMessages(codes.length);

    // Two per one-second window: the fifth request cannot start before two windows have passed.
    const times = codes.map((c) => h.stooq.requests(c)[0]!.at).sort((a, b) => a - b);
    expect(times[4]! - times[0]!).toBeGreaterThanOrEqual(1900);
  });
});
