import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '@chat/runtime';
import { sleep, startService, waitFor, type RunningService } from '@chat/testkit';
import { STOCK_UNAVAILABLE_TEXT } from '../src/index.js';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness;
const processes: RunningService[] = [];
beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.stopWorkers();
  await Promise.all(processes.splice(0).map((p) => p.stop(2_000)));
});
afterAll(async () => {
  await h?.close();
});

/** A short lock, so a dead worker's job is taken back within seconds; held Stooq requests never time out. */
const recovery = { lockDurationMs: 2000, stalledIntervalMs: 500, stooqTimeoutMs: 20_000 };

/** A worker process with a short lock unless `env` says otherwise (undefined: the service's default). */
async function workerProcess(env: Record<string, string | undefined> = {}): Promise<RunningService> {
  const service = await startService('bot-worker', {
    label: `worker-process-${processes.length + 1}`,
    env: { ...h.workerEnv, STOOQ_TIMEOUT_MS: '20000', BOT_LOCK_DURATION_MS: '2000', BOT_STALLED_INTERVAL_MS: '500', ...env },
  });
  processes.push(service);
  return service;
}

/** Starts a worker process, lets it take the job to Stooq (held there), and SIGKILLs it. */
async function killMidJob(symbol: string, requestsSoFar: number, env?: Record<string, string>): Promise<void> {
  const doomed = await workerProcess(env);
  await waitFor(`worker ${doomed.name} to ask Stooq`, () => h.stooq.requests(symbol).length === requestsSoFar + 1, 30_000);
  await doomed.kill();
}

describe('workers killed mid-job', () => {
  it('answers a /stock=SWIFT.US job within 15 s of its worker’s SIGKILL, once, with the default lock and stalled interval', async () => {
    const defaults = loadWorkerConfig({});
    const room = await h.seedRoom();
    h.stooq.script('swift.us', { kind: 'hold', then: { kind: 'ok', close: 1 } }, { kind: 'ok', close: 9 });
    const listener = await h.listen(1, room.roomId);
    const arrivals: number[] = [];
    listener.socket.on('message', () => arrivals.push(Date.now()));
    // Both workers as production runs them: no BOT_LOCK_DURATION_MS or BOT_STALLED_INTERVAL_MS.
    const defaultEnv = { BOT_LOCK_DURATION_MS: undefined, BOT_STALLED_INTERVAL_MS: undefined };
    const doomed = await workerProcess(defaultEnv);

    const jobId = await h.command(room, room.alice, '/stock=SWIFT.US');
    await waitFor('the first worker to ask Stooq', () => h.stooq.requests('swift.us').length === 1, 30_000);
    const survivor = await workerProcess(defaultEnv);
    const killedAt = Date.now();
    await doomed.kill();

    const [message] = await listener.waitForMessages(1, 60_000);
    expect(message?.content).toBe('SWIFT.US quote is $9.00 per share');
    // The lock lapses within BOT_LOCK_DURATION_MS of the crash, the next stalled check moves the job.
    expect(defaults.lockDurationMs + defaults.stalledIntervalMs).toBeLessThan(15_000);
    expect(arrivals[0]! - killedAt, `answered ${arrivals[0]! - killedAt} ms after the SIGKILL`).toBeLessThan(15_000);
    await waitFor('the job to complete', async () => (await (await h.queues.stock.getJob(jobId))?.getState()) === 'completed');
    h.stooq.release(); // the dead worker's request can no longer answer anything
    await sleep(500);
    expect(listener.messages).toEqual([message]);
    expect(await h.botMessages(room.roomId)).toEqual([message]);
    expect(h.stooq.requests('swift.us')).toHaveLength(2);
    expect(survivor.process.output()).toContain('job stalled');
  });

  it('answers once, with the quote, a job whose worker was SIGKILLed twice', async () => {
    const room = await h.seedRoom();
    const hold = { kind: 'hold', then: { kind: 'ok', close: 1 } } as const;
    h.stooq.script('crash.us', hold, hold, { kind: 'ok', close: 7 });
    const listener = await h.listen(1, room.roomId);

    const jobId = await h.command(room, room.alice, '/stock=CRASH.US');
    await killMidJob('crash.us', 0);
    await killMidJob('crash.us', 1);
    await h.startWorker(recovery);

    const [message] = await listener.waitForMessages(1, 30_000);
    expect(message?.content).toBe('CRASH.US quote is $7.00 per share');
    await waitFor('the job to complete', async () => (await (await h.queues.stock.getJob(jobId))?.getState()) === 'completed');
    h.stooq.release(); // the dead workers' requests can no longer answer anything
    await sleep(300);
    expect(listener.messages).toEqual([message]);
    expect(await h.botMessages(room.roomId)).toEqual([message]);
    expect(h.stooq.requests('crash.us')).toHaveLength(3);
  });

  it('answers "unavailable" once when a job stalls more often than BOT_MAX_STALLED_COUNT allows', async () => {
    const room = await h.seedRoom();
    h.stooq.script('stall.us', { kind: 'hold', then: { kind: 'ok', close: 1 } });
    const listener = await h.listen(0, room.roomId);

    const jobId = await h.command(room, room.alice, '/stock=STALL.US');
    await killMidJob('stall.us', 0, { BOT_MAX_STALLED_COUNT: '1' });
    await killMidJob('stall.us', 1, { BOT_MAX_STALLED_COUNT: '1' });
    const worker = await h.startWorker({ ...recovery, maxStalledCount: 1 });

    const [message] = await listener.waitForMessages(1, 30_000);
    expect(message).toMatchObject({ content: STOCK_UNAVAILABLE_TEXT, sender: { id: null, username: 'stock-bot' } });
    const job = await h.queues.stock.getJob(jobId);
    expect(await job?.getState()).toBe('failed');
    expect(job?.failedReason).toBe('job stalled more than allowable limit');
    h.stooq.release();
    await sleep(300);
    expect(listener.messages).toEqual([message]);
    expect(await h.botMessages(room.roomId)).toEqual([message]);
    // The third run never started: BullMQ failed the job before calling the processor.
    expect(h.stooq.requests('stall.us')).toHaveLength(2);
    expect(await worker.registry.metrics()).toMatch(/bot_replies_total\{queue="stock",outcome="unavailable"[^}]*\} 1/);
  });

  it('fails a job for a deleted room without retries and without a reply', async () => {
    const room = await h.seedRoom();
    await h.orm.em.getKnex().raw('delete from rooms where id = ?', [room.roomId]);
    const worker = await h.startWorker();

    const jobId = await h.command(room, room.alice, '/stock=GONE.US');
    await waitFor('the job to fail', async () => (await (await h.queues.stock.getJob(jobId))?.getState()) === 'failed');
    await sleep(200);

    const job = await h.queues.stock.getJob(jobId);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toBe(`room ${room.roomId} not found`);
    expect(await h.botMessages(room.roomId)).toEqual([]);
    expect(await worker.registry.metrics()).not.toMatch(/bot_replies_total\{queue="stock",outcome="unavailable"/);
  });
});
