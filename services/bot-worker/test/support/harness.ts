import { randomUUID } from 'node:crypto';
import { parseCommand, type Message, type UserRef } from '@chat/contract';
import { commandRequestId, createCommandQueues, createLogger, createRedis, enqueueCommand, loadWorkerConfig, type CommandQueues, type RedisClient } from '@chat/runtime';
import { createOrm, createStore, type Orm, type Store } from '@chat/store';
import { startRedis, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { createBotWorker, type BotWorker, type BotWorkerConfig } from '../../src/index.js';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/fake-openai.js';
import { startFakeStooq, type FakeStooq } from '../fakes/fake-stooq.js';
import { listen, startSocketReplica, type RoomListener, type SocketReplica } from './sockets.js';

export interface Room {
  roomId: string;
  alice: UserRef;
  bob: UserRef;
}

export interface Harness {
  redis: RedisServer;
  databaseUrl: string;
  orm: Orm;
  /** The test's own access to the database, for seeding and checks. */
  store: Store;
  queues: CommandQueues;
  stooq: FakeStooq;
  openai: FakeOpenAi;
  /** Two Socket.IO servers reading the room channels, like two gateway replicas. */
  replicas: [SocketReplica, SocketReplica];
  /** Settings for test workers: the fakes, small backoff and timeouts. */
  workerConfig: BotWorkerConfig;
  /** Env for a worker process with the same settings. */
  workerEnv: Record<string, string>;
  seedRoom(): Promise<Room>;
  /** Parses `content` as the gateway does and enqueues it; returns the job id (the request id). */
  command(room: Room, user: UserRef, content: string, clientId?: string): Promise<string>;
  listen(replica: 0 | 1, roomId: string): Promise<RoomListener>;
  /** An in-process worker with its own Redis connections; stopped by `stopWorkers()`. */
  startWorker(overrides?: Partial<BotWorkerConfig>): Promise<BotWorker>;
  stopWorkers(): Promise<void>;
  botMessages(roomId: string): Promise<Message[]>;
  close(): Promise<void>;
}

export const logger = createLogger({ service: 'bot-worker-test', level: 'silent' });

export async function startHarness(): Promise<Harness> {
  const [redis, databaseUrl, stooq, openai] = await Promise.all([startRedis(), useTestDatabase(), startFakeStooq(), startFakeOpenAi()]);
  const orm = await createOrm({ databaseUrl, poolMax: 6 });
  const store = createStore(orm, { messagePoolMax: 2 });
  const queueConnection = createRedis(redis.url);
  const queues = createCommandQueues(queueConnection);
  const replicas: [SocketReplica, SocketReplica] = [await startSocketReplica(redis.url), await startSocketReplica(redis.url)];
  const listeners: RoomListener[] = [];
  const running: { worker: BotWorker; connections: RedisClient[] }[] = [];

  const workerEnv = {
    REDIS_URL: redis.url,
    DATABASE_URL: databaseUrl,
    STOOQ_URL: stooq.url,
    STOOQ_TIMEOUT_MS: '500',
    OPENAI_API_KEY: 'sk-test-key',
    OPENAI_BASE_URL: openai.baseUrl,
    OPENAI_MODEL: 'fake-model',
    BOT_BACKOFF_MS: '20',
  };
  // The worker's configuration as a process would read it from workerEnv.
  const workerConfig: BotWorkerConfig = loadWorkerConfig({ NODE_ENV: 'test', ...workerEnv });

  const stopWorkers = async (): Promise<void> => {
    const all = running.splice(0);
    await Promise.all(all.map((r) => r.worker.stop()));
    await Promise.allSettled(all.flatMap((r) => r.connections.map((c) => c.quit())));
  };

  return {
    redis,
    databaseUrl,
    orm,
    store,
    queues,
    stooq,
    openai,
    replicas,
    workerConfig,
    workerEnv,
    async seedRoom() {
      const knex = orm.em.getKnex();
      const alice = { id: randomUUID(), username: `alice_${randomUUID().slice(0, 8)}` };
      const bob = { id: randomUUID(), username: `bob_${randomUUID().slice(0, 8)}` };
      for (const u of [alice, bob]) {
        await knex.raw(`insert into users (id, username, password_hash) values (?, ?, 'x')`, [u.id, u.username]);
      }
      const roomId = randomUUID();
      await knex.raw('insert into rooms (id, name, owner_id) values (?, ?, ?)', [roomId, `room-${roomId}`, alice.id]);
      await knex.raw(`insert into memberships (room_id, user_id, role) values (?, ?, 'owner'), (?, ?, 'member')`, [roomId, alice.id, roomId, bob.id]);
      return { roomId, alice, bob };
    },
    async command(room, user, content, clientId = randomUUID()) {
      const parsed = parseCommand(content);
      if (!parsed || parsed.name === 'help') throw new Error(`not a queued command: ${content}`);
      const requestId = commandRequestId(room.roomId, user.id, clientId);
      // As the gateway does: a summary ends at the room's last seq when it is requested.
      const queued = parsed.name === 'summary' ? { ...parsed, upToSeq: await store.rooms.lastSeq(room.roomId) } : parsed;
      return enqueueCommand(queues, queued, { requestId, roomId: room.roomId, requestedBy: user });
    },
    async listen(replica, roomId) {
      const listener = await listen(replicas[replica], roomId);
      listeners.push(listener);
      return listener;
    },
    async startWorker(overrides = {}) {
      const connection = createRedis(redis.url, { forWorker: true });
      const publisher = createRedis(redis.url);
      const worker = createBotWorker({ connection, publisher, orm, logger }, { ...workerConfig, ...overrides });
      running.push({ worker, connections: [connection, publisher] });
      await worker.start();
      return worker;
    },
    stopWorkers,
    async botMessages(roomId) {
      const all = await store.messages.page(roomId, { limit: 100 });
      return all.filter((m) => m.type === 'bot');
    },
    async close() {
      for (const l of listeners) l.close();
      await stopWorkers();
      await Promise.allSettled(replicas.map((r) => r.close()));
      await queues.close();
      await queueConnection.quit().catch(() => undefined);
      await Promise.allSettled([stooq.close(), openai.close()]);
      await store.close();
      await orm.close(true);
      await redis.stop();
    },
  };
}
