/**
 * How fast `GET /api/rooms` answers a user in many rooms over a large message table, with the unread
 * counts it carries:
 *
 *   node --conditions=development --import tsx loadtest/src/room-list.ts [--rooms 200] [--messages 1000000] [--requests 500]
 *
 * Starts a private PostgreSQL (production durability) and Redis, the API in this process, stores
 * `--messages` messages spread over `--rooms` rooms (one in fifty a system message; in each room's
 * first 40 % every fifth message is the reader's, the rest another member's), puts the reader's cursor
 * of each room at a random point of the last 60 % (sending moves the sender's cursor, so their own
 * messages are behind it: on average 30 % of every room unread, thousands of messages a room), and
 * times `--requests` sequential requests after a warm-up, printing p50/p95/p99/max. Then again with
 * every room read to its end.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createApi } from '@chat/api';
import { createRestClient } from '@chat/contract';
import { createLogger, loadApiConfig } from '@chat/runtime';
import { createOrm, migrate } from '@chat/store';
import { startPostgres, startRedis } from '@chat/testkit';

const { values } = parseArgs({
  options: { rooms: { type: 'string', default: '200' }, messages: { type: 'string', default: '1000000' }, requests: { type: 'string', default: '500' } },
});
const rooms = Number(values.rooms);
const messages = Number(values.messages);
const requests = Number(values.requests);

const pg = await startPostgres({ durable: true });
const redisServer = await startRedis();
try {
  await pg.sql('create database roomlist');
  const databaseUrl = pg.databaseUrl('roomlist');
  const orm = await createOrm({ databaseUrl, statementTimeoutMs: 0 });
  await migrate(orm);
  const config = loadApiConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, REDIS_URL: redisServer.url });
  const redis = new Redis(redisServer.url);
  const api = createApi({ config, orm, redis, logger: createLogger({ service: 'api', level: 'silent' }) });
  const server = createServer(api.callback);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const rest = createRestClient({ baseUrl });
  const reader = await rest.register({ body: { username: 'reader', password: 'correct horse' } });
  const other = await rest.register({ body: { username: 'other', password: 'correct horse' } });
  const knex = orm.em.getKnex();
  const started = Date.now();
  console.log(`seeding ${rooms} rooms and ${messages.toLocaleString('en')} messages…`);
  const perRoom = Math.floor(messages / rooms);
  await knex.raw(
    `insert into rooms (id, name, owner_id, last_seq)
     select gen_random_uuid(), 'room ' || r, ?, ? from generate_series(1, ?) r`,
    [other.user.id, perRoom, rooms],
  );
  await knex.raw(`insert into memberships (room_id, user_id, role) select id, ?, 'owner' from rooms`, [other.user.id]);
  await knex.raw(`insert into memberships (room_id, user_id, role) select id, ?, 'member' from rooms`, [reader.user.id]);
  await knex.raw(
    `insert into messages (id, room_id, seq, type, content, sender_id, client_id)
     select gen_random_uuid(), r.id, s, case when s % 50 = 0 then 'system' else 'message' end, 'message ' || s,
            case when s % 50 = 0 then null when s % 5 = 0 and s <= ? * 0.4 then ?::uuid else ?::uuid end,
            case when s % 50 = 0 then null else 'c' || s end
     from rooms r, generate_series(1, ?) s`,
    [perRoom, reader.user.id, other.user.id, perRoom],
  );
  await knex.raw(`update memberships set read_seq = floor(? * (0.4 + 0.6 * random()))::bigint where user_id = ?`, [perRoom, reader.user.id]);
  await knex.raw('vacuum analyze');
  console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const me = createRestClient({ baseUrl, token: () => reader.token });
  async function measure(label: string): Promise<void> {
    for (let i = 0; i < 20; i++) await me.listRooms();
    const times: number[] = [];
    let unread = 0;
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      const list = await me.listRooms();
      times.push(performance.now() - t0);
      unread = list.rooms.reduce((sum, r) => sum + (r.unread ?? 0), 0);
    }
    times.sort((a, b) => a - b);
    const at = (q: number): string => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
    console.log(`${label}: ${requests} requests, ${rooms} rooms, ${unread.toLocaleString('en')} unread in all · p50 ${at(0.5)} ms · p95 ${at(0.95)} ms · p99 ${at(0.99)} ms · max ${times.at(-1)!.toFixed(1)} ms`);
  }
  await measure('cursors at random points');
  await knex.raw(`update memberships m set read_seq = r.last_seq from rooms r where r.id = m.room_id and m.user_id = ?`, [reader.user.id]);
  await measure('every room read');

  await new Promise<void>((resolve) => server.close(() => resolve()));
  await api.stop();
  await orm.close(true);
  redis.disconnect();
} finally {
  await redisServer.stop();
  await pg.stop();
}
