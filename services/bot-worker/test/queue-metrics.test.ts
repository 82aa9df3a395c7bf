import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commandRequestId, createRedis, createStatusServer } from '@chat/runtime';
import { freePort, startService, waitFor, type RunningService } from '@chat/testkit';
import { createBotWorker } from '../src/index.js';
import { logger, startHarness, type Harness } from './support/harness.js';

let h: Harness;
const processes: RunningService[] = [];
beforeAll(async () => {
  h = await startHarness();
});
afterEach(async () => {
  h.stooq.release();
  await Promise.all(processes.splice(0).map((p) => p.stop(5_000)));
});
afterAll(async () => {
  await h?.close();
});

/** Every `chat_bot_queue_jobs` sample of a /metrics text, as `queue/state` → value. */
function queueDepth(metrics: string): Record<string, number> {
  const samples: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const m = /^chat_bot_queue_jobs\{(.*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const queue = /queue="([^"]+)"/.exec(m[1]!)?.[1];
    const state = /state="([^"]+)"/.exec(m[1]!)?.[1];
    samples[`${queue}/${state}`] = Number(m[2]);
  }
  return samples;
}

const stateOf = async (jobId: string): Promise<string | undefined> => (await h.queues.stock.getJob(jobId))?.getState();

describe('chat_bot_queue_jobs on the worker’s /metrics', () => {
  it('counts one failed (bad job data), one delayed (Stooq 503, retry in a minute), one active (held at Stooq) and two waiting stock jobs', async () => {
    const room = await h.seedRoom();
    h.stooq.script('down.us', { kind: 'status', status: 503 });
    h.stooq.script('held.us', { kind: 'hold', then: { kind: 'nd' } });
    // One stock job at a time, and a retry a minute after a failure: the queue holds still while scraped.
    const worker = await startService('bot-worker', {
      label: 'metrics-worker',
      env: { ...h.workerEnv, STOCK_CONCURRENCY: '1', BOT_BACKOFF_MS: '60000', STOOQ_TIMEOUT_MS: '20000' },
    });
    processes.push(worker);
    const scrape = async (): Promise<Record<string, number>> => queueDepth(await (await fetch(`${worker.url}/metrics`)).text());
    expect(await scrape()).toEqual({
      'stock/waiting': 0, 'stock/active': 0, 'stock/delayed': 0, 'stock/failed': 0,
      'ai/waiting': 0, 'ai/active': 0, 'ai/delayed': 0, 'ai/failed': 0,
    });

    const invalid = commandRequestId(room.roomId, room.alice.id, 'not-a-stock-job');
    await h.queues.stock.add('stock', { code: 'NOT A CODE' } as never, { jobId: invalid });
    await waitFor('the invalid job to fail', async () => (await stateOf(invalid)) === 'failed');
    const down = await h.command(room, room.alice, '/stock=DOWN.US');
    await waitFor('the failed attempt to wait for its retry', async () => (await stateOf(down)) === 'delayed');
    const held = await h.command(room, room.alice, '/stock=HELD.US');
    await waitFor('the held job to reach Stooq', () => h.stooq.requests('held.us').length === 1);
    const waiting = [await h.command(room, room.bob, '/stock=WAIT1.US'), await h.command(room, room.bob, '/stock=WAIT2.US')];

    expect(await scrape()).toEqual({
      'stock/waiting': 2, 'stock/active': 1, 'stock/delayed': 1, 'stock/failed': 1,
      'ai/waiting': 0, 'ai/active': 0, 'ai/delayed': 0, 'ai/failed': 0,
    });
    expect(await stateOf(held)).toBe('active');

    // The held job answers, the two waiting ones run: they leave the counts at the next scrape.
    h.stooq.release();
    await waitFor('the waiting jobs to complete', async () => (await Promise.all(waiting.map(stateOf))).every((s) => s === 'completed'));
    expect(await scrape()).toMatchObject({ 'stock/waiting': 0, 'stock/active': 0, 'stock/delayed': 1, 'stock/failed': 1 });
    await (await h.queues.stock.getJob(down))?.remove();
  });

  it('still answers /metrics, without queue samples, while Redis does not answer', async () => {
    const dead = createRedis(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => undefined); // expected: nothing listens there
    const connection = createRedis(h.redis.url, { forWorker: true });
    const worker = createBotWorker({ connection, publisher: dead, orm: h.orm, logger }, h.workerConfig);
    const server = createStatusServer({ service: 'bot-worker', registry: worker.registry, logger, checks: worker.checks });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('# TYPE chat_bot_queue_jobs gauge');
      expect(queueDepth(text)).toEqual({});
      expect(text).toContain('bot_jobs_completed_total');
    } finally {
      server.close();
      await worker.stop();
      dead.disconnect();
      await connection.quit();
    }
  });
});
