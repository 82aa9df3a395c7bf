import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { createRedis, createStatusServer, redisKeys } from '@chat/runtime';
import { freePort, sleep, startRedis, startService, waitFor, type RunningService } from '@chat/testkit';
import { createBotWorker } from '../src/index.js';
import { logger, startHarness, type Harness } from './support/harness.js';

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

/** A bot-worker process (`src/main.ts`), configured like the in-process ones. */
async function workerProcess(env: Record<string, string> = {}): Promise<RunningService> {
  const service = await startService('bot-worker', {
    label: `bot-worker-${processes.length + 1}`,
    env: { ...h.workerEnv, STOOQ_TIMEOUT_MS: '10000', ...env },
  });
  processes.push(service);
  return service;
}

describe('several workers', () => {
  it('answers each job exactly once when two workers compete for the queue', async () => {
    const room = await h.seedRoom();
    const listener = await h.listen(0, room.roomId);
    const workers = [await h.startWorker({ stockConcurrency: 2 }), await h.startWorker({ stockConcurrency: 2 })];
    const codes = Array.from({ length: 24 }, (_, i) => `c${i}.us`);
    for (const [i, code] of codes.entries()) h.stooq.script(code, { kind: 'slow', delayMs: 20, close: i + 1 });

    const jobIds = await Promise.all(codes.map((code) => h.command(room, room.alice, `/stock=${code}`)));
    await listener.waitForMessages(codes.length);
    await sleep(200);

    expect(listener.messages).toHaveLength(codes.length);
    expect(new Set(listener.messages.map((m) => m.id)).size).toBe(codes.length);
    const stored = await h.botMessages(room.roomId);
    expect(stored.map((m) => m.seq)).toEqual(codes.map((_, i) => i + 1));
    expect(stored.map((m) => m.content).sort()).toEqual(codes.map((c, i) => `${c.toUpperCase()} quote is $${(i + 1).toFixed(2)} per share`).sort());
    for (const code of codes) expect(h.stooq.requests(code)).toHaveLength(1);
    const states = await Promise.all(jobIds.map(async (id) => (await h.queues.stock.getJob(id))?.getState()));
    expect(new Set(states)).toEqual(new Set(['completed']));
    // Both took part: each worker's own counter saw some of the jobs.
    const completed = await Promise.all(workers.map(async (w) => (await w.metrics.completed.get()).values.reduce((n, v) => n + v.value, 0)));
    expect(completed.every((n) => n > 0)).toBe(true);
    expect(completed[0]! + completed[1]!).toBe(codes.length);
  });

  it('finishes a job on another worker with one reply after its worker is killed mid-job', async () => {
    const room = await h.seedRoom();
    h.stooq.script('kill.us', { kind: 'hold', then: { kind: 'ok', close: 5 } }, { kind: 'ok', close: 7 });
    const listener = await h.listen(1, room.roomId);
    // A short lock, so the dead worker's job is taken back within seconds.
    const doomed = await workerProcess({ BOT_LOCK_DURATION_MS: '2000', BOT_STALLED_INTERVAL_MS: '500' });

    const jobId = await h.command(room, room.alice, '/stock=KILL.US');
    await waitFor('the first worker to ask Stooq', () => h.stooq.requests('kill.us').length === 1);
    await doomed.kill();
    // The first test's workers (the default stalled interval) left the queue's check throttle behind.
    const raw = createRedis(h.redis.url);
    await raw.del(`${redisKeys.queuePrefix}:stock:stalled-check`);
    await raw.quit();
    await h.startWorker({ lockDurationMs: 2000, stalledIntervalMs: 500 });

    const [message] = await listener.waitForMessages(1, 30_000);
    expect(message?.content).toBe('KILL.US quote is $7.00 per share');
    await waitFor('the job to complete', async () => (await (await h.queues.stock.getJob(jobId))?.getState()) === 'completed');
    h.stooq.release(); // the dead worker's request can no longer answer anything
    await sleep(300);
    expect(listener.messages).toHaveLength(1);
    expect(await h.botMessages(room.roomId)).toEqual([message]);
    expect(h.stooq.requests('kill.us')).toHaveLength(2);
  });

  it('lets the running job finish on SIGTERM before exiting, and loses no job enqueued meanwhile', async () => {
    const room = await h.seedRoom();
    h.stooq.script('term.us', { kind: 'hold', then: { kind: 'ok', close: 3 } });
    const listener = await h.listen(0, room.roomId);
    const worker = await workerProcess({ LOG_LEVEL: 'info' });

    const first = await h.command(room, room.alice, '/stock=TERM.US');
    await waitFor('the worker to ask Stooq', () => h.stooq.requests('term.us').length === 1);
    const stopped = worker.stop(20_000);
    await waitFor('the worker to start stopping', () => worker.process.output().includes('"msg":"stopping"'));
    const second = await h.command(room, room.bob, '/stock=LATER.US');
    await sleep(300);
    expect(worker.process.child.exitCode).toBeNull();

    h.stooq.release();
    await stopped;
    expect(await worker.process.exited).toBe(0);
    const reply = await listener.waitForMessage((m) => m.content === 'TERM.US quote is $3.00 per share');
    expect(await (await h.queues.stock.getJob(first))?.getState()).toBe('completed');
    expect((await h.botMessages(room.roomId)).filter((m) => m.id === reply.id)).toHaveLength(1);
    // BullMQ finishes a job its in-flight fetch returned while closing; otherwise the job waits for another worker.
    const later = await h.queues.stock.getJob(second);
    const state = await later?.getState();
    expect(['completed', 'waiting']).toContain(state);
    if (state === 'completed') expect((await h.botMessages(room.roomId)).map((m) => m.content)).toContain('Sorry, no quote for LATER.US.');
    else await later?.remove();
  });

  it('serves /health, /health/ready and /metrics on its port', async () => {
    const room = await h.seedRoom();
    const listener = await h.listen(0, room.roomId);
    const worker = await workerProcess();
    await h.command(room, room.alice, '/stock=NOPE.US');
    await listener.waitForMessages(1);

    const health = await fetch(`${worker.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', service: 'bot-worker' });
    const ready = await fetch(`${worker.url}/health/ready`);
    expect(ready.status).toBe(200);
    await waitFor('the completion to be counted', async () =>
      /bot_jobs_completed_total\{queue="stock",service="bot-worker"\} 1/.test(await (await fetch(`${worker.url}/metrics`)).text()),
    );
    const metrics = await (await fetch(`${worker.url}/metrics`)).text();
    expect(metrics).toMatch(/bot_job_duration_seconds_count\{[^}]*queue="stock",status="completed"[^}]*\} 1/);
    expect(metrics).toMatch(/bot_replies_total\{queue="stock",outcome="no_data",service="bot-worker"\} 1/);
  });

  it('logs a lost Redis through pino and keeps running, with no unhandled error events', async () => {
    const ownRedis = await startRedis();
    const worker = await workerProcess({ REDIS_URL: ownRedis.url, LOG_LEVEL: 'warn' });
    await ownRedis.stop();

    const logged = (client: string) => worker.process.output().includes(`"client":"${client}"`);
    await waitFor('both connections to log the outage', () => logged('publisher') && logged('connection'), 20_000);
    expect(worker.process.output()).toMatch(/"msg":"redis connection error"/);
    expect(worker.process.output()).not.toContain('Unhandled error event');
    expect((await fetch(`${worker.url}/health`)).status).toBe(200);
    expect((await fetch(`${worker.url}/health/ready`)).status).toBe(503);
  });

  it('answers /health/ready with 503 while Redis does not answer', async () => {
    const dead = createRedis(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => undefined); // expected: nothing listens there
    const connection = createRedis(h.redis.url, { forWorker: true });
    const worker = createBotWorker({ connection, publisher: dead, orm: h.orm, logger }, h.workerConfig);
    const server = createStatusServer({ service: 'bot-worker', registry: worker.registry, logger, checks: worker.checks });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'unavailable', service: 'bot-worker', checks: { redis: 'down', postgres: 'ok' }, error: { code: 'unavailable' } });
    } finally {
      server.close();
      dead.disconnect();
      await connection.quit();
    }
  });
});
