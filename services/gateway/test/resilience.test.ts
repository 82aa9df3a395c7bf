import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Orm } from '@chat/store';
import { HELP_TEXT, type UserRef } from '@chat/contract';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { call, closeAll, connect, disconnection, ok, rawCall, type ChatSocket } from './support/client.js';
import { createRoom, createUser, tokenFor } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/harness.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

let redis: RedisServer;
let gw: TestGateway;
let orm: Orm;
let alice: UserRef;
let roomId: string;
const sockets: ChatSocket[] = [];

const joined = async (user: UserRef, room: string, url = gw.url): Promise<ChatSocket> => {
  const socket = await connect(url, tokenFor(user));
  sockets.push(socket);
  ok(await call(socket, 'room:join', { roomId: room }));
  return socket;
};
const storedCount = async (room: string): Promise<number> => {
  const { rows } = await orm.em.getKnex().raw<{ rows: { n: string }[] }>('select count(*) as n from messages where room_id = ?', [room]);
  return Number(rows[0]?.n);
};

beforeAll(async () => {
  redis = await startRedis();
  gw = await startTestGateway({ redisUrl: redis.url, databaseUrl: await useTestDatabase() }, { RATE_LIMIT_COMMANDS: '4', RATE_LIMIT_MESSAGES: '5' });
  orm = gw.orm;
  alice = await createUser(orm, 'alice');
  roomId = await createRoom(orm, alice);
});
afterAll(async () => {
  closeAll(sockets);
  await gw?.stop();
  await redis?.stop();
});

describe('events the contract does not allow', () => {
  it('ignores an event without an ack function and keeps the socket working', async () => {
    const socket = await joined(alice, roomId);
    const before = await storedCount(roomId);
    const untyped = socket as unknown as { emit(...args: unknown[]): void };
    untyped.emit('message:send', { roomId, content: 'no ack', clientId: 'no-ack' });
    untyped.emit('message:send', { roomId, content: 'bad ack', clientId: 'bad-ack' }, 'not a function');
    expect(await rawCall(socket, 'room:join', { roomId }, { extra: 1 })).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(await rawCall(socket, 'chat:nuke', {})).toMatchObject({ ok: false, error: { code: 'validation', message: 'unknown event "chat:nuke"' } });
    ok(await call(socket, 'message:send', { roomId, content: 'with ack', clientId: 'with-ack' }));
    expect(await storedCount(roomId)).toBe(before + 1);
  });

  it('closes the connection on a frame over 64 KiB, over WebSocket and polling, and keeps serving', async () => {
    for (const transports of [['websocket'], ['polling']]) {
      const socket = await connect(gw.url, tokenFor(alice), { transports });
      sockets.push(socket);
      ok(await call(socket, 'room:join', { roomId }));
      const closed = disconnection(socket);
      socket.emit('message:send', { roomId, content: 'x'.repeat(70 * 1024), clientId: `huge-${transports[0]}` }, () => undefined);
      expect(await closed).toMatch(/^transport (close|error)$/);
    }
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    const again = await joined(alice, roomId);
    ok(await call(again, 'message:send', { roomId, content: 'still here', clientId: 'after-huge' }));
  });
});

describe('commands', () => {
  it('answers /help in the ack and stores nothing; refuses an unknown /word naming /help', async () => {
    const socket = await joined(alice, roomId);
    const before = await storedCount(roomId);
    expect(ok(await call(socket, 'message:send', { roomId, content: '/help', clientId: 'help-1' }))).toEqual({ ok: true, command: 'help', text: HELP_TEXT });
    const unknown = await call(socket, 'message:send', { roomId, content: '/weather paris', clientId: 'w-1' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'validation', message: expect.stringContaining('/help') } });
    expect(await call(socket, 'message:send', { roomId, content: '/stock=no spaces', clientId: 's-0' })).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(await storedCount(roomId)).toBe(before);
  });

  it('queues /stock and /ai as jobs named by the request, once per clientId, then enforces the command budget', async () => {
    const bob = await createUser(orm, 'bob');
    const room = await createRoom(orm, bob);
    const socket = await joined(bob, room);
    const stock = ok(await call(socket, 'message:send', { roomId: room, content: '/stock=aapl.us', clientId: 'stock-1' }));
    // A retry after a lost ack: the same job, and no second point of the budget.
    const retried = ok(await call(socket, 'message:send', { roomId: room, content: '/stock=aapl.us', clientId: 'stock-1' }));
    expect(stock).toMatchObject({ command: 'stock', jobId: expect.any(String) });
    expect(retried).toEqual(stock);
    const job = await gw.queues.stock.getJob((stock as { jobId: string }).jobId);
    expect(job?.data).toEqual({ requestId: job?.id, roomId: room, requestedBy: bob, code: 'AAPL.US' });
    expect(await gw.queues.stock.getJobCounts('waiting', 'delayed', 'active')).toMatchObject({ waiting: 1 });
    const ai = ok(await call(socket, 'message:send', { roomId: room, content: '/ai what is up?', clientId: 'ai-1' }));
    expect((await gw.queues.ai.getJob((ai as { jobId: string }).jobId))?.data).toMatchObject({ kind: 'ai', prompt: 'what is up?', roomId: room });
    // Four commands a minute (RATE_LIMIT_COMMANDS=4), the retry not among them: the fifth is refused, with when to retry.
    ok(await call(socket, 'message:send', { roomId: room, content: '/summary 10', clientId: 'sum-1' }));
    ok(await call(socket, 'message:send', { roomId: room, content: '/help', clientId: 'help-2' }));
    const refused = await call(socket, 'message:send', { roomId: room, content: '/stock=msft.us', clientId: 'stock-2' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited', message: expect.stringMatching(/retry in \d+ s/) } });
    // The wait as a number too: at most the one-minute window.
    const waitMs = (refused as { error: { retryAfterMs?: number } }).error.retryAfterMs;
    expect(Number.isInteger(waitMs) && waitMs! > 0 && waitMs! <= 60_000).toBe(true);
    expect(await call(socket, 'message:send', { roomId: room, content: '/help', clientId: 'help-3' })).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    // At the limit, a retry still finds its job.
    expect(ok(await call(socket, 'message:send', { roomId: room, content: '/stock=aapl.us', clientId: 'stock-1' }))).toEqual(stock);
    expect(await gw.queues.stock.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    ok(await call(socket, 'message:send', { roomId: room, content: 'plain messages have their own budget', clientId: 'plain-1' }));
  });
});

describe('the message budget', () => {
  it('spends nothing on a retried clientId, and at the limit a retry still returns the original message', async () => {
    const dan = await createUser(orm, 'dan');
    const room = await createRoom(orm, dan);
    const socket = await joined(dan, room);
    const send = (clientId: string, content = clientId) => call(socket, 'message:send', { roomId: room, content, clientId });
    const first = ok(await send('m1'));
    expect(ok(await send('m1', 'edited retry'))).toEqual(first);
    // Five a minute (RATE_LIMIT_MESSAGES=5): the retry above did not count.
    const rest = [];
    for (const clientId of ['m2', 'm3', 'm4', 'm5']) rest.push(ok(await send(clientId)));
    expect(await send('m6')).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(ok(await send('m3', 'retried at the limit'))).toEqual(rest[1]);
    expect(ok(await send('m1'))).toEqual(first);
    expect(await send('m6')).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    expect(await storedCount(room)).toBe(5);
  });
});

describe('a database outage', () => {
  let proxy: TcpProxy;
  let cut: TestGateway;
  afterAll(async () => {
    await cut?.stop();
    await proxy?.close();
  });

  it('answers unavailable while PostgreSQL is unreachable, keeps the process up and recovers', async () => {
    const direct = new URL(gw.config.databaseUrl);
    proxy = await startTcpProxy(Number(direct.port));
    const viaProxy = new URL(gw.config.databaseUrl);
    viaProxy.port = String(proxy.port);
    cut = await startTestGateway({ redisUrl: redis.url, databaseUrl: viaProxy.toString() });
    const socket = await joined(alice, roomId, cut.url);
    ok(await call(socket, 'message:send', { roomId, content: 'before', clientId: 'outage-0' }));

    await proxy.cut();
    expect(await call(socket, 'message:send', { roomId, content: 'during', clientId: 'outage-1' })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await call(socket, 'room:join', { roomId })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect((await fetch(`${cut.url}/health`)).status).toBe(200);
    expect((await fetch(`${cut.url}/health/ready`)).status).toBe(503);

    await proxy.restore();
    await waitFor('readiness', async () => (await fetch(`${cut.url}/health/ready`)).status === 200, 15_000);
    ok(await call(socket, 'message:send', { roomId, content: 'after', clientId: 'outage-2' }));
    expect(socket.connected).toBe(true);
  });
});

