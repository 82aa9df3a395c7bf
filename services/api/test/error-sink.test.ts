import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knex as createKnex } from '@mikro-orm/postgresql';
import { errorBodySchema } from '@chat/contract';
import { createLogger, createRedis } from '@chat/runtime';
import { freePort, startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { errorSink } from '../src/http/error-sink.js';
import { startTcpProxy } from './tcp-proxy.js';

/**
 * The error sink against what the real drivers throw: each case runs a real
 * query or command against a real (or deliberately unreachable) server.
 */
let databaseUrl: string;
let redis: RedisServer;
let server: Server;
let url: string;
const failures = new Map<string, () => Promise<unknown>>();
const cleanups: (() => Promise<unknown> | unknown)[] = [];

const knexFor = (connection: string, acquireConnectionTimeout = 2_000) =>
  createKnex({ client: 'pg', connection, pool: { min: 0, max: 1 }, acquireConnectionTimeout });

beforeAll(async () => {
  databaseUrl = await useTestDatabase();
  redis = await startRedis();
  const app = new Koa();
  app.use(errorSink(createLogger({ service: 'api', level: 'silent' })));
  app.use(async (ctx) => {
    const run = failures.get(ctx.path.slice(1));
    if (!run) throw new Error('unknown case');
    ctx.body = await run();
  });
  server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await new Promise((resolve) => server?.close(resolve));
  await redis?.stop();
});

async function answerTo(name: string, run: () => Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  failures.set(name, run);
  const res = await fetch(`${url}/${name}`);
  const body = errorBodySchema.parse(await res.json());
  return { status: res.status, ...body.error };
}

describe('the API error sink', () => {
  it('answers text PostgreSQL cannot store (NUL) with 400 validation', async () => {
    const db = knexFor(databaseUrl);
    cleanups.push(() => db.destroy());
    const reply = await answerTo('nul', () => db.raw('select ?::text as t', ['a\u0000b']));
    expect(reply).toEqual({ status: 400, code: 'validation', message: expect.stringContaining('NUL') });
    const jsonb = await answerTo('nul-jsonb', () => db.raw(`select '"a\\u0000b"'::jsonb as j`));
    expect([jsonb.status, jsonb.code]).toEqual([400, 'validation']);
  });

  it('answers PostgreSQL refusing connections with 503 unavailable', async () => {
    const url = new URL(databaseUrl);
    url.port = String(await freePort());
    const db = knexFor(url.toString());
    cleanups.push(() => db.destroy());
    expect(await answerTo('pg-refused', () => db.raw('select 1'))).toEqual({ status: 503, code: 'unavailable', message: expect.any(String) });
  });

  it('answers a full pool (Knex: Timeout acquiring a connection) with 503 unavailable', async () => {
    const db = knexFor(databaseUrl, 200);
    cleanups.push(() => db.destroy());
    const holding = db.transaction(async (trx) => {
      await trx.raw('select pg_sleep(1)');
    });
    const reply = await answerTo('pg-pool', () => db.raw('select 1'));
    await holding;
    expect([reply.status, reply.code]).toEqual([503, 'unavailable']);
  });

  it('answers a PostgreSQL backend terminated by the administrator (57P01) with 503 unavailable', async () => {
    const db = knexFor(databaseUrl);
    const admin = knexFor(databaseUrl);
    cleanups.push(() => db.destroy(), () => admin.destroy());
    const reply = await answerTo('pg-terminated', async () => {
      const marker = `victim-${randomUUID()}`;
      // A knex query runs once something awaits it: start it now.
      const victim = Promise.resolve(db.raw(`select pg_sleep(5), '${marker}'`));
      // The backend that runs it, once it does (a pooled connection's pid read earlier may not be the one).
      let pid: number | undefined;
      await waitFor('the statement to run', async () => {
        const pattern = `%${marker}%`;
        const { rows } = await admin.raw<{ rows: { pid: number }[] }>('select pid from pg_stat_activity where query like ? and pid <> pg_backend_pid()', [pattern]);
        pid = rows[0]?.pid;
        return pid !== undefined;
      });
      await admin.raw('select pg_terminate_backend(?)', [pid!]);
      return victim;
    });
    expect([reply.status, reply.code]).toEqual([503, 'unavailable']);
  });

  it('answers a Redis that is gone (MaxRetriesPerRequestError) with 503 unavailable', async () => {
    const client = createRedis(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: 1, connectTimeout: 500, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    cleanups.push(() => client.disconnect());
    expect(await answerTo('redis-gone', () => client.get('k'))).toMatchObject({ status: 503, code: 'unavailable' });
  });

  it('answers a Redis that hangs (Command timed out) with 503 unavailable', async () => {
    const proxy = await startTcpProxy(redis.port);
    const client = createRedis(`redis://127.0.0.1:${proxy.port}`, { commandTimeout: 300 });
    client.on('error', () => undefined);
    cleanups.push(() => client.disconnect(), () => proxy.close());
    await client.ping();
    proxy.blackhole();
    expect(await answerTo('redis-hung', () => client.get('k'))).toMatchObject({ status: 503, code: 'unavailable' });
  });

  it('answers a Redis connection that was closed (Connection is closed.) with 503 unavailable', async () => {
    const client = createRedis(redis.url, { maxRetriesPerRequest: 1 });
    await client.ping();
    client.disconnect();
    expect(await answerTo('redis-closed', () => client.get('k'))).toMatchObject({ status: 503, code: 'unavailable' });
  });

  it('still answers other database errors with 500 internal, hiding their text', async () => {
    const db = knexFor(databaseUrl);
    cleanups.push(() => db.destroy());
    expect(await answerTo('pg-syntax', () => db.raw('select from where'))).toEqual({ status: 500, code: 'internal', message: 'internal error' });
    expect(await answerTo('plain', async () => Promise.reject(new Error('ECONNREFUSED in a message only')))).toEqual({
      status: 500,
      code: 'internal',
      message: 'internal error',
    });
  });
});
