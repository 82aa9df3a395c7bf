import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient, ChatError } from '@chat/client';
import { TEST_JWT_SECRET } from '@chat/testkit';
import { call, closeAll, connect, connectError, disconnection, ok, rawCall, replicaOf, type ChatSocket } from '../../services/gateway/test/support/client.js';
import { pollingHandshakeStatus, websocketHandshake } from '../../services/gateway/test/support/raw-http.js';
import { startChatCluster, type ChatCluster } from './support/cluster.js';

let chat: ChatCluster;
const sockets: ChatSocket[] = [];
const track = (socket: ChatSocket): ChatSocket => {
  sockets.push(socket);
  return socket;
};

beforeAll(async () => {
  chat = await startChatCluster(2);
});
afterAll(async () => {
  closeAll(sockets);
  await chat?.stop();
});

describe('handshakes through nginx', () => {
  it('refuses bad, expired and forged tokens with unauthorized, over WebSocket and polling', async () => {
    const { user } = await chat.register('eve');
    const expired = jwt.sign({ username: user.username, sub: user.id, jti: randomUUID(), exp: Math.floor(Date.now() / 1000) - 5 }, TEST_JWT_SECRET);
    const forged = jwt.sign({ username: user.username, sub: user.id, jti: randomUUID() }, 'not-the-secret-at-all', { expiresIn: 60 });
    for (const transports of [['websocket'], ['polling']]) {
      for (const token of [undefined, 'garbage', expired, forged]) {
        expect((await connectError(chat.url, token, { transports })).message).toBe('unauthorized');
      }
    }
  });

  it('refuses a browser origin that is not allowed, over polling and WebSocket, and admits the allowed one', async () => {
    const evil = { Origin: 'https://evil.example' };
    expect((await pollingHandshakeStatus(chat.url, evil)).status).toBe(403);
    expect(await websocketHandshake(chat.url, evil)).toMatchObject({ status: 400, body: 'origin not allowed' });
    const good = { Origin: 'http://localhost:8080' };
    expect((await pollingHandshakeStatus(chat.url, good)).status).toBe(200);
    expect((await websocketHandshake(chat.url, good)).status).toBe(101);
    const { token } = await chat.register('origin');
    expect((await connectError(chat.url, token, { extraHeaders: evil, transports: ['polling'] })).message).toBe('xhr poll error');
    track(await connect(chat.url, token, { extraHeaders: good, transports: ['polling'] }));
  });
});

describe('logout', () => {
  it('ends the token’s sockets on every replica, telling them why, and nothing else', async () => {
    const session = await chat.register('leaver');
    const other = await chat.login(session.user.username);
    const [gw1, gw2] = chat.replicaIds as [string, string];
    const onGw1 = track(await chat.connectTo(gw1, session.token));
    const onGw2 = track(await chat.connectTo(gw2, session.token, { transports: ['polling'] }));
    const otherToken = track(await chat.connectTo(gw2, other.token));
    const told: unknown[] = [];
    for (const socket of [onGw1, onGw2]) socket.on('session:ended', (event) => told.push(event));
    const drops = [disconnection(onGw1), disconnection(onGw2)];
    await session.client.logout();
    expect(await Promise.all(drops)).toEqual(['io server disconnect', 'io server disconnect']);
    expect(told).toEqual([{ reason: 'logged_out' }, { reason: 'logged_out' }]);
    expect(otherToken.connected).toBe(true);
    expect((await connectError(chat.url, session.token)).message).toBe('unauthorized');
  });
});

describe('login throttling', () => {
  it('refuses a username with rate_limited after its failed attempts, whichever API request carried them', async () => {
    const { user } = await chat.register('guessed');
    const attempt = () =>
      new ChatClient({ baseUrl: chat.url }).login(user.username, 'not the password').then(
        () => 'logged in',
        (err: unknown) => (err instanceof ChatError ? err.code : String(err)),
      );
    const outcomes: (string | undefined)[] = [];
    // RATE_LIMIT_LOGIN is 5 failed attempts per 5 minutes.
    for (let i = 0; i < 6; i++) outcomes.push(await attempt());
    expect(outcomes).toEqual(['unauthorized', 'unauthorized', 'unauthorized', 'unauthorized', 'unauthorized', 'rate_limited']);
  });
});

describe('bad input through nginx', () => {
  it('answers contract errors, closes a connection that sends an oversized frame, and every replica stays up', async () => {
    const [owner, outsider] = await Promise.all([chat.register('owner'), chat.register('outsider')]);
    const room = await owner.client.rest.createRoom({ body: { name: `bad input ${randomUUID()}` } });
    const bystander = track(await connect(chat.url, owner.token));
    ok(await call(bystander, 'room:join', { roomId: room.id }));
    const stranger = track(await connect(chat.url, outsider.token));
    expect(await call(stranger, 'room:join', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await call(stranger, 'message:send', { roomId: room.id, content: 'hi', clientId: 'x' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await rawCall(stranger, 'typing', { roomId: room.id })).toMatchObject({ ok: false, error: { code: 'validation' } });

    for (const transports of [['websocket'], ['polling']]) {
      const sender = track(await chat.connectTo(replicaOf(bystander), owner.token, { transports }));
      ok(await call(sender, 'room:join', { roomId: room.id }));
      const closed = disconnection(sender);
      sender.emit('message:send', { roomId: room.id, content: 'z'.repeat(100 * 1024), clientId: randomUUID() }, () => undefined);
      expect(await closed, transports[0]).toMatch(/^transport (close|error)$/);
    }
    for (const gateway of chat.cluster.gateways) expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    expect(bystander.connected).toBe(true);
    ok(await call(bystander, 'message:send', { roomId: room.id, content: 'still fine', clientId: randomUUID() }));
  });
});
