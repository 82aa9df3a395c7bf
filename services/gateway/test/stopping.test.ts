import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Manager } from 'socket.io-client';
import { createOrm, type Orm } from '@chat/store';
import type { UserRef } from '@chat/contract';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import type { Knex } from '@mikro-orm/postgresql';
import { call, closeAll, connect, ok, type ChatSocket } from './support/client.js';
import { createRoom, createUser, tokenFor } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/harness.js';
import { pollingHandshakeStatus, websocketHandshake } from './support/raw-http.js';

/*
 * Between SIGTERM and the end of stop(), a gateway still serves its sessions
 * (it commits the sends it accepted) but must turn new ones away in a way that
 * nginx and socket.io-client retry elsewhere.
 */

let redis: RedisServer;
let databaseUrl: string;
/** The test's own connections, without session timeouts, to hold locks. */
let locker: Orm;
let alice: UserRef;
const sockets: ChatSocket[] = [];
const gateways: TestGateway[] = [];

beforeAll(async () => {
  redis = await startRedis();
  databaseUrl = await useTestDatabase();
  locker = await createOrm({ databaseUrl, poolMax: 2, statementTimeoutMs: 0, idleInTransactionTimeoutMs: 0 });
  alice = await createUser(locker, 'alice');
});
afterAll(async () => {
  closeAll(sockets);
  for (const gw of gateways) await gw.stop();
  await locker?.close(true);
  await redis?.stop();
});

const lockWaiters = async (): Promise<number> => {
  const { rows } = await locker.em
    .getKnex()
    .raw<{ rows: { n: string }[] }>(`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`);
  return Number(rows[0]?.n);
};

/** A gateway held in its flush: a send it accepted waits behind a lock on the room's row. */
async function stoppingGateway(): Promise<{ gw: TestGateway; socket: ChatSocket; roomId: string; held: Promise<unknown>; stopped: Promise<void>; release: () => Promise<void> }> {
  const gw = await startTestGateway({ redisUrl: redis.url, databaseUrl }, { REPLICA_ID: `stop${randomUUID().slice(0, 8)}` });
  gateways.push(gw);
  const roomId = await createRoom(locker, alice);
  const socket = await connect(gw.url, tokenFor(alice));
  sockets.push(socket);
  ok(await call(socket, 'room:join', { roomId }));
  const lock: Knex.Transaction = await locker.em.getKnex().transaction();
  await lock.raw('select id from rooms where id = ? for update', [roomId]);
  const held = call(socket, 'message:send', { roomId, content: 'accepted before the stop', clientId: randomUUID() }, 20_000);
  await waitFor('the send to wait for the lock', async () => (await lockWaiters()) > 0, 5_000);
  const stopped = gw.gateway.stop();
  return { gw, socket, roomId, held, stopped, release: async () => void (await lock.rollback()) };
}

describe('a stopping gateway', () => {
  it('answers new sessions with 503 over polling and WebSocket, and keeps serving the sessions it has', async () => {
    const { gw, socket, roomId, held, stopped, release } = await stoppingGateway();
    try {
      expect(await pollingHandshakeStatus(gw.url)).toMatchObject({ status: 503, body: expect.stringContaining('shutting down') });
      expect(await websocketHandshake(gw.url)).toMatchObject({ status: 503, body: expect.stringContaining('shutting down') });
      // Requests of sessions still reach Engine.IO: an unknown sid is its 400, an open session answers.
      expect((await fetch(`${gw.url}/socket.io/?EIO=4&transport=polling&sid=${gw.config.replicaId}.unknown`)).status).toBe(400);
      ok(await call(socket, 'typing', { roomId, isTyping: false }));
      const health = await fetch(`${gw.url}/health`);
      expect(await health.json()).toMatchObject({ status: 'stopping' });
    } finally {
      await release();
    }
    expect(await held).toMatchObject({ ok: true, message: { content: 'accepted before the stop' } });
    await stopped;
  });

  it('closes the transport of a session that connects during the stop, so socket.io-client reconnects', async () => {
    const gwRun = await startTestGateway({ redisUrl: redis.url, databaseUrl }, { REPLICA_ID: `early${randomUUID().slice(0, 8)}` });
    gateways.push(gwRun);
    // The Engine.IO session opens before the stop; the namespace CONNECT comes after.
    const manager = new Manager(gwRun.url, { autoConnect: false, transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 200 });
    await new Promise<void>((resolve, reject) => manager.open((err) => (err ? reject(err) : resolve())));
    const lock: Knex.Transaction = await locker.em.getKnex().transaction();
    const roomId = await createRoom(locker, alice);
    const holder = await connect(gwRun.url, tokenFor(alice));
    sockets.push(holder);
    ok(await call(holder, 'room:join', { roomId }));
    await lock.raw('select id from rooms where id = ? for update', [roomId]);
    const held = call(holder, 'message:send', { roomId, content: 'held', clientId: randomUUID() }, 20_000);
    await waitFor('the send to wait for the lock', async () => (await lockWaiters()) > 0, 5_000);
    const stopped = gwRun.gateway.stop();
    const late = manager.socket('/', { auth: { token: tokenFor(alice) } });
    try {
      // Either it reconnects, or it is refused with a connect_error, which socket.io-client never retries.
      const outcome = await new Promise<string>((resolve) => {
        manager.once('reconnect_attempt', () => resolve('reconnecting'));
        late.once('connect_error', (err) => resolve(`connect_error ${err.message}`));
        setTimeout(() => resolve('neither'), 10_000);
        late.connect();
      });
      expect(outcome).toBe('reconnecting');
      expect(late.active).toBe(true);
      expect(late.connected).toBe(false);
    } finally {
      late.close();
      await lock.rollback();
    }
    expect(await held).toMatchObject({ ok: true });
    await stopped;
  });
});
