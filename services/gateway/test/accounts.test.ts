import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRef } from '@chat/contract';
import { publishControl, redisKeys, Revocations } from '@chat/runtime';
import type { Orm } from '@chat/store';
import { startRedis, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { call, closeAll, connect, connectError, disconnection, Inbox, ok, type ChatSocket } from './support/client.js';
import { createRoom, createUser, tokenFor } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/harness.js';

const CAP = 3;
let redis: RedisServer;
let gw: TestGateway;
let orm: Orm;
const opened: ChatSocket[] = [];

beforeAll(async () => {
  redis = await startRedis();
  // A quota renewed every 200 ms: a dead replica's places lapse after 600 ms.
  gw = await startTestGateway({ redisUrl: redis.url, databaseUrl: await useTestDatabase() }, { MAX_SOCKETS_PER_USER: String(CAP) }, { socketQuotaRenewMs: 200 });
  orm = gw.orm;
});
afterAll(async () => {
  closeAll(opened);
  await gw?.stop();
  await redis?.stop();
});

async function open(user: UserRef): Promise<ChatSocket> {
  const socket = await connect(gw.url, tokenFor(user));
  opened.push(socket);
  return socket;
}

async function refusals(): Promise<Record<string, number>> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, reason, value] of text.matchAll(/^chat_handshake_refusals_total\{[^}]*reason="([a-z_]+)"[^}]*\} (\d+)$/gm)) counts[reason!] = Number(value);
  return counts;
}

describe('deleted accounts', () => {
  it('refuses the token of an account an operator deleted in PostgreSQL (DELETE FROM users), counted as deleted', async () => {
    const gone = await createUser(orm, 'gone');
    const token = tokenFor(gone);
    (await connect(gw.url, token)).close(); // live: admitted, and now cached as live
    await orm.em.getKnex().raw('delete from users where id = ?', [gone.id]);
    // The cache holds a live account for 10 s at most; the control event of a deletion drops it at once.
    await publishControl(gw.redis, { kind: 'end-sessions', userId: gone.id, reason: 'deleted' });
    await new Promise((r) => setTimeout(r, 200));
    const before = (await refusals()).deleted ?? 0;
    const err = await connectError(gw.url, token);
    expect(err.message).toBe('unauthorized');
    expect(err.data).toEqual({ code: 'unauthorized', message: 'the account has been deleted' });
    expect((await refusals()).deleted).toBe(before + 1);
  });

  it('ends the open sockets of a deleted account with session:ended deleted, and refuses its token from then on', async () => {
    const bea = await createUser(orm, 'bea');
    const [first, second] = [await open(bea), await open(bea)];
    const told: unknown[] = [];
    first.on('session:ended', (e) => told.push(e));
    second.on('session:ended', (e) => told.push(e));
    // What DELETE /api/me does after deleting the row: the denylist, then the control event.
    expect(await gw.store.users.delete(bea.id)).toBe(true);
    const revocations = new Revocations({ redis: gw.redis, load: (within) => gw.store.revocations.active(within), tokenTtlSeconds: 3600 });
    await revocations.deleteUser(bea.id);
    await publishControl(gw.redis, { kind: 'end-sessions', userId: bea.id, reason: 'deleted' });
    expect(await disconnection(first)).toBe('io server disconnect');
    expect(await disconnection(second)).toBe('io server disconnect');
    expect(told).toEqual([{ reason: 'deleted' }, { reason: 'deleted' }]);
    expect((await connectError(gw.url, tokenFor(bea))).data).toMatchObject({ code: 'unauthorized', message: 'the account has been deleted' });
  });

  it('still refuses a logged-out token after Redis lost its data (FLUSHALL): the denylist is reloaded from PostgreSQL', async () => {
    const cid = await createUser(orm, 'cid');
    const token = tokenFor(cid);
    const { jti, exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string; exp: number };
    await gw.store.revocations.revoke(jti, cid.id, exp);
    await gw.redis.flushall();
    expect(await gw.redis.exists(redisKeys.revokedToken(jti))).toBe(0);
    expect((await connectError(gw.url, token)).data).toMatchObject({ code: 'unauthorized', message: 'token has been revoked' });
    // Reloaded into Redis, with the marker that says so.
    expect(await gw.redis.exists(redisKeys.revokedToken(jti), redisKeys.revocationsLoaded)).toBe(2);
    // Another token of the same user is good.
    (await connect(gw.url, tokenFor(cid))).close();
  });
});

describe('sockets per user', () => {
  it(`admits ${CAP} sockets of one user and refuses the next with rate_limited and retryAfterMs, counted as too_many_sockets`, async () => {
    const dan = await createUser(orm, 'dan');
    const sockets = [await open(dan), await open(dan), await open(dan)];
    const before = (await refusals()).too_many_sockets ?? 0;
    const err = await connectError(gw.url, tokenFor(dan));
    expect(err.message).toBe('rate_limited');
    expect(err.data).toEqual({ code: 'rate_limited', message: `this user already has ${CAP} connections open; close one first`, retryAfterMs: 10_000 });
    expect((await refusals()).too_many_sockets).toBe(before + 1);
    // Another user is not affected, and a socket that closes gives its place back.
    (await open(await createUser(orm, 'eve'))).close();
    sockets[0]!.close();
    await new Promise((r) => setTimeout(r, 200));
    expect((await open(dan)).connected).toBe(true);
  });

  it('lets the places of a replica that died lapse: they are not renewed, and go after three renewal periods', async () => {
    const fay = await createUser(orm, 'fay');
    const lapseAt = Date.now() + 600;
    await gw.redis.zadd(redisKeys.userSockets(fay.id), lapseAt, 'dead-1', lapseAt, 'dead-2', lapseAt, 'dead-3');
    expect((await connectError(gw.url, tokenFor(fay))).message).toBe('rate_limited');
    await new Promise((r) => setTimeout(r, 800));
    const socket = await open(fay);
    expect(socket.connected).toBe(true);
    // This replica's own places are renewed: still held well after their first lapse time.
    await new Promise((r) => setTimeout(r, 900));
    expect(Number(await gw.redis.zscore(redisKeys.userSockets(fay.id), socket.id!))).toBeGreaterThan(Date.now());
    expect(await gw.redis.zcard(redisKeys.userSockets(fay.id))).toBe(1);
  });
});

describe('text normalised at the edge', () => {
  it('stores, acknowledges, broadcasts, pages and replays a lone surrogate as U+FFFD, the same bytes everywhere', async () => {
    const [gil, hal] = [await createUser(orm, 'gil'), await createUser(orm, 'hal')];
    const roomId = await createRoom(orm, gil, [hal]);
    const [sender, receiver] = [await open(gil), await open(hal)];
    const inbox = new Inbox(receiver);
    ok(await call(sender, 'room:join', { roomId }));
    ok(await call(receiver, 'room:join', { roomId }));
    const payload = { roomId, content: 'x\ud800y\udc00z', clientId: 'lone-\udbff' };
    const first = ok(await call(sender, 'message:send', payload));
    if (!('message' in first)) throw new Error('expected a message');
    expect(first.message.content).toBe('x\ufffdy\ufffdz');
    expect(first.message.clientId).toBe('lone-\ufffd');
    await inbox.waitFor('the broadcast', () => inbox.messagesIn(roomId).length === 1);
    expect(inbox.messagesIn(roomId)[0]).toEqual(first.message);
    const [stored] = await gw.store.messages.page(roomId, { after: first.message.seq - 1, limit: 1 });
    expect(stored).toEqual(first.message);
    // A retry with the same (unnormalised) clientId answers with the very same message.
    const again = ok(await call(sender, 'message:send', payload));
    expect(again).toEqual(first);
  });
});
