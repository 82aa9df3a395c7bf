import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlineUserIds, REDIS_COMMAND_TIMEOUT_MS } from '@chat/runtime';
import { createOrm, type Orm } from '@chat/store';
import type { UserRef } from '@chat/contract';
import { sleep, startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import type { Knex } from '@mikro-orm/postgresql';
import { call, closeAll, connect, ok, type ChatSocket } from './support/client.js';
import { createRoom, createUser, tokenFor } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/harness.js';

/*
 * A Redis or PostgreSQL that hangs (no reply, rather than a refused connection):
 * every ack is still answered, once, and the gateway recovers when it wakes.
 */

const ACK_TIMEOUT_MS = 1_000;
const STATEMENT_TIMEOUT_MS = 6_000;

let redis: RedisServer;
let databaseUrl: string;
let gw: TestGateway;
/** The test's own connections, without session timeouts, to hold locks. */
let locker: Orm;
let alice: UserRef;
const sockets: ChatSocket[] = [];

const joined = async (url: string, roomId: string): Promise<ChatSocket> => {
  const socket = await connect(url, tokenFor(alice));
  sockets.push(socket);
  ok(await call(socket, 'room:join', { roomId }));
  return socket;
};

/** Counts the Socket.IO ACK packets the socket receives (socket.io-client drops unknown ones silently). */
function ackCounter(socket: ChatSocket): () => number {
  let acks = 0;
  socket.io.engine.on('packet', (packet) => {
    if (packet.type === 'message' && typeof packet.data === 'string' && packet.data.startsWith('3')) acks += 1;
  });
  return () => acks;
}

const stored = async (roomId: string, clientId: string): Promise<number> => {
  const { rows } = await locker.em.getKnex().raw<{ rows: { n: string }[] }>('select count(*) as n from messages where room_id = ? and client_id = ?', [roomId, clientId]);
  return Number(rows[0]?.n);
};

/** Locks the room's row, as a transaction that never finishes would. */
async function lockRoom(roomId: string): Promise<Knex.Transaction> {
  const trx = await locker.em.getKnex().transaction();
  await trx.raw('select id from rooms where id = ? for update', [roomId]);
  return trx;
}

const lockWaiters = async (): Promise<number> => {
  const { rows } = await locker.em
    .getKnex()
    .raw<{ rows: { n: string }[] }>(`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`);
  return Number(rows[0]?.n);
};

beforeAll(async () => {
  redis = await startRedis();
  databaseUrl = await useTestDatabase();
  gw = await startTestGateway({ redisUrl: redis.url, databaseUrl, orm: { statementTimeoutMs: STATEMENT_TIMEOUT_MS } }, {}, { ackTimeoutMs: ACK_TIMEOUT_MS });
  locker = await createOrm({ databaseUrl, poolMax: 2, statementTimeoutMs: 0, idleInTransactionTimeoutMs: 0 });
  alice = await createUser(locker, 'alice');
});
afterAll(async () => {
  closeAll(sockets);
  await gw?.stop();
  await locker?.close(true);
  await redis?.stop();
});

describe('a PostgreSQL that does not answer', () => {
  it('answers unavailable at the ack deadline, drops the late outcome and never answers twice', async () => {
    const roomId = await createRoom(locker, alice);
    const socket = await joined(gw.url, roomId);
    const acks = ackCounter(socket);
    const clientId = randomUUID();
    const lock = await lockRoom(roomId);
    try {
      const late = await call(socket, 'message:send', { roomId, content: 'stuck behind a lock', clientId }, ACK_TIMEOUT_MS + 4_000);
      expect(late).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    } finally {
      await lock.rollback();
    }
    // The commit goes on once the lock is gone; its outcome reaches no one.
    await waitFor('the late commit', async () => (await stored(roomId, clientId)) === 1, 10_000);
    ok(await call(socket, 'message:send', { roomId, content: 'marker', clientId: randomUUID() }));
    expect(acks()).toBe(2);
    // The client's retry after the unavailable finds the stored message.
    const retried = ok(await call(socket, 'message:send', { roomId, content: 'stuck behind a lock', clientId }));
    expect('message' in retried && retried.message).toMatchObject({ clientId, content: 'stuck behind a lock', seq: 1 });
    expect(socket.connected).toBe(true);
  });

  it('undoes a room:join that finishes after it was answered unavailable', async () => {
    const roomId = await createRoom(locker, alice);
    // One stored message, so a join with since 0 has something to replay.
    await gw.store.messages.appendOne({ roomId, type: 'system', content: 'alice joined the room' });
    const socket = await connect(gw.url, tokenFor(alice));
    sockets.push(socket);
    // Reading `missed` waits behind a lock on the messages table.
    const lock = await locker.em.getKnex().transaction();
    try {
      await lock.raw('lock table messages in access exclusive mode');
      expect(await call(socket, 'room:join', { roomId, since: 0 }, ACK_TIMEOUT_MS + 4_000)).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    } finally {
      await lock.rollback();
    }
    await waitFor('the late join undone', async () => !(await onlineUserIds(gw.redis, roomId)).has(alice.id) && (await lockWaiters()) === 0, 10_000);
    await sleep(200);
    expect(await onlineUserIds(gw.redis, roomId)).toEqual(new Set());
    expect(await call(socket, 'message:send', { roomId, content: 'not joined', clientId: randomUUID() })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('lets statement_timeout end a statement stuck behind a lock, so the room is not held up', async () => {
    const { rows } = await gw.orm.em.getKnex().raw<{ rows: { statement_timeout: string }[] }>('show statement_timeout');
    expect(rows[0]?.statement_timeout).toBe(`${STATEMENT_TIMEOUT_MS / 1000}s`);
    const roomId = await createRoom(locker, alice);
    const socket = await joined(gw.url, roomId);
    const clientId = randomUUID();
    const lock = await lockRoom(roomId);
    try {
      expect(await call(socket, 'message:send', { roomId, content: 'never stored', clientId })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      await waitFor('the gateway to give up waiting for the lock', async () => (await lockWaiters()) === 0, STATEMENT_TIMEOUT_MS + 10_000);
    } finally {
      await lock.rollback();
    }
    expect(await stored(roomId, clientId)).toBe(0);
    const next = ok(await call(socket, 'message:send', { roomId, content: 'the room is free again', clientId: randomUUID() }));
    expect('message' in next && next.message.seq).toBe(1);
  });
});

describe('a Redis that does not answer', () => {
  it('times its commands out, answers unavailable and recovers when Redis wakes', async () => {
    const own = await startRedis();
    const hung = await startTestGateway({ redisUrl: own.url, databaseUrl }, { REPLICA_ID: `hung${randomUUID().slice(0, 8)}` });
    try {
      const roomId = await createRoom(locker, alice);
      const socket = await joined(hung.url, roomId);
      own.process.kill('SIGSTOP');
      try {
        // The ack deadline is 10 s here: the answer comes from ioredis's commandTimeout.
        const answers = await Promise.all([
          call(socket, 'message:send', { roomId, content: 'while Redis sleeps', clientId: randomUUID() }, REDIS_COMMAND_TIMEOUT_MS + 4_000),
          call(socket, 'room:join', { roomId }, REDIS_COMMAND_TIMEOUT_MS + 4_000),
        ]);
        for (const answer of answers) expect(answer).toMatchObject({ ok: false, error: { code: 'unavailable' } });
        expect((await fetch(`${hung.url}/health`)).status).toBe(200);
      } finally {
        own.process.kill('SIGCONT');
      }
      const after = ok(await call(socket, 'message:send', { roomId, content: 'Redis is back', clientId: randomUUID() }));
      expect('message' in after && after.message.content).toBe('Redis is back');
      expect(socket.connected).toBe(true);
    } finally {
      await hung.stop();
      await own.stop();
    }
  });
});
