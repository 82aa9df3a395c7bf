import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commandRequestId, createRedis, redisKeys, type RedisClient } from '@chat/runtime';
import { sleep, waitFor } from '@chat/testkit';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness;
let redis: RedisClient;
beforeAll(async () => {
  h = await startHarness();
  redis = createRedis(h.redis.url);
});
afterEach(async () => {
  await h.stopWorkers();
});
afterAll(async () => {
  await redis?.quit();
  await h?.close();
});

const stockState = async (jobId: string): Promise<string | undefined> => (await h.queues.stock.getJob(jobId))?.getState();
const completed = (jobId: string) => waitFor(`job ${jobId} to complete`, async () => (await stockState(jobId)) === 'completed');

describe('a reply reaches the room once per job', () => {
  it('sends nothing again when a job whose reply was stored and sent runs again', async () => {
    const room = await h.seedRoom();
    h.stooq.script('again.us', { kind: 'ok', close: 4 });
    const [listener, other] = [await h.listen(0, room.roomId), await h.listen(1, room.roomId)];
    const worker = await h.startWorker();

    const jobId = await h.command(room, room.alice, '/stock=AGAIN.US');
    const [message] = await listener.waitForMessages(1);
    await completed(jobId);
    // What a worker that died after PUBLISH but before BullMQ recorded the completion leaves behind.
    await (await h.queues.stock.getJob(jobId))!.retry('completed');
    await completed(jobId);
    await sleep(200);

    expect(listener.messages).toEqual([message]);
    expect(other.messages).toEqual([message]);
    expect(await h.botMessages(room.roomId)).toEqual([message]);
    expect(h.stooq.requests('again.us')).toHaveLength(1);
    expect((await h.queues.stock.getJob(jobId))?.returnvalue).toEqual({ messageId: message!.id, seq: message!.seq });
    expect(await worker.registry.metrics()).toMatch(/bot_replies_total\{queue="stock",outcome="already_sent"[^}]*\} 1/);
  });

  it('sends nothing again when a client retries after the completed job was removed', async () => {
    const room = await h.seedRoom();
    h.stooq.script('retry.us', { kind: 'ok', close: 5 });
    const listener = await h.listen(1, room.roomId);
    await h.startWorker();
    const clientId = randomUUID();

    const jobId = await h.command(room, room.alice, '/stock=RETRY.US', clientId);
    const [message] = await listener.waitForMessages(1);
    await completed(jobId);
    await (await h.queues.stock.getJob(jobId))!.remove(); // as removeOnComplete does
    expect(await h.command(room, room.alice, '/stock=RETRY.US', clientId)).toBe(jobId);
    await completed(jobId);
    await sleep(200);

    expect(listener.messages).toEqual([message]);
    expect(h.stooq.requests('retry.us')).toHaveLength(1);
  });

  it('sends one event when a lost lock lets two workers run one job', async () => {
    const room = await h.seedRoom();
    h.stooq.script('twice.us', { kind: 'hold', then: { kind: 'ok', close: 6 } });
    const listener = await h.listen(0, room.roomId);
    // Held requests must not time out: both runs wait for Stooq at the same time.
    const fast = { lockDurationMs: 1000, stalledIntervalMs: 200, stooqTimeoutMs: 20_000 };
    await h.startWorker(fast);

    const jobId = await h.command(room, room.alice, '/stock=TWICE.US');
    await waitFor('the first worker to ask Stooq', () => h.stooq.requests('twice.us').length === 1);
    await h.startWorker(fast);
    // The first worker's lock is gone (a long GC pause, a Redis failover): the job is taken back while it runs.
    await redis.del(`${redisKeys.queuePrefix}:stock:${jobId}:lock`);
    // Earlier tests' workers (30 s stalled interval) left the queue's check throttle behind.
    await redis.del(`${redisKeys.queuePrefix}:stock:stalled-check`);
    await waitFor('a second run of the job to ask Stooq', () => h.stooq.requests('twice.us').length === 2, 10_000);
    h.stooq.release();

    const [message] = await listener.waitForMessages(1);
    await completed(jobId);
    await sleep(300);
    expect(listener.messages).toEqual([message]);
    expect(await h.botMessages(room.roomId)).toEqual([message]);
  });

  it('does not send a reply stored for a request answered longer ago than the marker lives', async () => {
    const room = await h.seedRoom();
    const clientId = randomUUID();
    const jobId = commandRequestId(room.roomId, room.alice.id, clientId);
    const knex = h.orm.em.getKnex();
    const { message: stored } = await h.store.messages.appendOne({ roomId: room.roomId, type: 'bot', botName: 'stock-bot', jobId, content: 'OLD.US quote is $1.00 per share' });
    await knex.raw(`update messages set created_at = now() - interval '8 days' where id = ?`, [stored.id]);
    const listener = await h.listen(0, room.roomId);
    await h.startWorker();

    await h.command(room, room.alice, '/stock=OLD.US', clientId);
    await completed(jobId);
    await sleep(200);

    expect(listener.messages).toEqual([]);
    expect(h.stooq.requests('old.us')).toEqual([]);
    expect((await h.queues.stock.getJob(jobId))?.returnvalue).toEqual({ messageId: stored.id, seq: stored.seq });
  });

  it('sends an AI reply once when its job runs again', async () => {
    const room = await h.seedRoom();
    h.openai.script({ kind: 'answer', chunks: ['Once.'] });
    const listener = await h.listen(1, room.roomId);
    await h.startWorker();
    const before = h.openai.requests().length;

    const jobId = await h.command(room, room.bob, '/ai say it once');
    const [message] = await listener.waitForMessages(1);
    await waitFor('the ai job to complete', async () => (await (await h.queues.ai.getJob(jobId))?.getState()) === 'completed');
    await (await h.queues.ai.getJob(jobId))!.retry('completed');
    await waitFor('the re-run to complete', async () => (await (await h.queues.ai.getJob(jobId))?.getState()) === 'completed');
    await sleep(200);

    expect(listener.messages).toEqual([message]);
    expect(h.openai.requests().length - before).toBe(1);
  });
});
