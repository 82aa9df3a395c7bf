import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Revocations } from '@chat/runtime';
import type { Orm } from '@chat/store';
import type { UserRef } from '@chat/contract';
import { startRedis, TEST_JWT_SECRET, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { connect, connectError, disconnection, replicaOf } from './support/client.js';
import { createUser, tokenFor } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/harness.js';
import { pollingHandshakeStatus, websocketHandshake } from './support/raw-http.js';

let redis: RedisServer;
let gw: TestGateway;
let orm: Orm;
let alice: UserRef;

beforeAll(async () => {
  redis = await startRedis();
  gw = await startTestGateway({ redisUrl: redis.url, databaseUrl: await useTestDatabase() }, { CORS_ORIGINS: 'http://localhost:8080,https://chat.example' });
  orm = gw.orm;
  alice = await createUser(orm, 'alice');
});
afterAll(async () => {
  await gw?.stop();
  await redis?.stop();
});

describe('handshake', () => {
  it('accepts a token in auth or in the token query parameter, over WebSocket and polling', async () => {
    const token = tokenFor(alice);
    const viaAuth = await connect(gw.url, token);
    const viaQuery = await connect(gw.url, '', { auth: {}, query: { token } });
    const polling = await connect(gw.url, token, { transports: ['polling'] });
    // Mobile libraries set it as a header (extraHeaders), over WebSocket and polling alike.
    const viaHeader = await connect(gw.url, '', { auth: {}, extraHeaders: { Authorization: `Bearer ${token}` } });
    const viaHeaderPolling = await connect(gw.url, '', { auth: {}, transports: ['polling'], extraHeaders: { authorization: `bearer ${token}` } });
    expect([viaAuth, viaQuery, polling, viaHeader, viaHeaderPolling].map((s) => s.connected)).toEqual([true, true, true, true, true]);
    expect((await connectError(gw.url, '', { auth: {}, extraHeaders: { Authorization: `Basic ${token}` } })).message).toBe('unauthorized');
    expect((await connectError(gw.url, '', { auth: {}, extraHeaders: { Authorization: 'Bearer not.a.token' } })).message).toBe('unauthorized');
    // Once verified, the server keeps no copy of the token in the handshake.
    for (const socket of gw.gateway.io.of('/').sockets.values()) {
      expect(socket.handshake.auth).not.toHaveProperty('token');
      expect(socket.handshake.query).not.toHaveProperty('token');
      expect(socket.handshake.headers).not.toHaveProperty('authorization');
    }
    for (const s of [viaAuth, viaQuery, polling, viaHeader, viaHeaderPolling]) s.close();
  });

  it('names the replica in front of every Engine.IO session id', async () => {
    const sockets = await Promise.all([connect(gw.url, tokenFor(alice)), connect(gw.url, tokenFor(alice), { transports: ['polling'] })]);
    for (const socket of sockets) {
      expect(replicaOf(socket)).toBe(gw.config.replicaId);
      expect(socket.io.engine.id).toMatch(new RegExp(`^${gw.config.replicaId}\\.[A-Za-z0-9_-]{20}$`));
      socket.close();
    }
  });

  it('refuses a missing, malformed, forged, expired, wrongly signed or logged-out token with unauthorized', async () => {
    const claims = { username: alice.username, sub: alice.id, jti: 'x' };
    const revoked = tokenFor(alice);
    const { jti, exp } = jwt.decode(revoked) as { jti: string; exp: number };
    await new Revocations({ redis: gw.redis, load: (within) => gw.store.revocations.active(within), tokenTtlSeconds: 3600 }).revokeToken(jti, exp);
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ ...claims, exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    const bad = {
      missing: undefined,
      malformed: 'not-a-jwt',
      unsigned: `${header}.${body}.`,
      otherSecret: tokenFor(alice, 3600, 'another-secret-0123456789'),
      otherAlgorithm: jwt.sign(claims, TEST_JWT_SECRET, { algorithm: 'HS512', expiresIn: 60 }),
      expired: jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET, { algorithm: 'HS256' }),
      revoked,
    };
    for (const [name, token] of Object.entries(bad)) {
      const err = await connectError(gw.url, token);
      expect(err.message, name).toBe('unauthorized');
      expect(err.data, name).toMatchObject({ code: 'unauthorized' });
    }
    const overPolling = await connectError(gw.url, 'not-a-jwt', { transports: ['polling'] });
    expect(overPolling.message).toBe('unauthorized');
  });

  it('ends each socket when its own token expires, telling it so first, and no other', async () => {
    const [soon, later, lasting] = await Promise.all([connect(gw.url, tokenFor(alice, 2)), connect(gw.url, tokenFor(alice, 3)), connect(gw.url, tokenFor(alice))]);
    const told: unknown[] = [];
    soon.on('session:ended', (event) => told.push(event));
    // One that leaves first must not trip the timer of the others.
    const gone = await connect(gw.url, tokenFor(alice, 2));
    gone.close();
    const laterGone = disconnection(later, 6_000);
    expect(await disconnection(soon, 5_000)).toBe('io server disconnect');
    expect(told).toEqual([{ reason: 'expired' }]);
    // The token of `later` is valid for a second more.
    expect(later.connected).toBe(true);
    expect(await laterGone).toBe('io server disconnect');
    expect(lasting.connected).toBe(true);
    lasting.close();
  });
});

describe('origin allowlist', () => {
  it('refuses a browser origin that is not listed, over polling and WebSocket', async () => {
    const evil = { Origin: 'https://evil.example' };
    expect(await pollingHandshakeStatus(gw.url, evil)).toMatchObject({ status: 403, body: expect.stringContaining('origin not allowed') });
    // Engine.IO answers every refused upgrade with 400; the body says why.
    expect(await websocketHandshake(gw.url, evil)).toEqual({ status: 400, body: 'origin not allowed' });
    const viaClient = await connectError(gw.url, tokenFor(alice), { extraHeaders: evil });
    expect(viaClient.message).toBe('websocket error');
    const viaPolling = await connectError(gw.url, tokenFor(alice), { transports: ['polling'], extraHeaders: evil });
    expect(viaPolling.message).toBe('xhr poll error');
  });

  it('admits listed origins and clients that send no Origin', async () => {
    const headerSets: Record<string, string>[] = [{ Origin: 'https://chat.example' }, { Origin: 'http://localhost:8080' }, {}];
    for (const headers of headerSets) {
      const polling = await pollingHandshakeStatus(gw.url, headers);
      expect(polling.status).toBe(200);
      expect(polling.body).toContain(`"sid":"${gw.config.replicaId}.`);
      expect((await websocketHandshake(gw.url, headers)).status).toBe(101);
    }
    const socket = await connect(gw.url, tokenFor(alice), { extraHeaders: { Origin: 'https://chat.example' } });
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it('admits an Origin naming the very host and port it connected to (React Native, Python), and no other', async () => {
    const { host } = new URL(gw.url);
    const sameHost = { Origin: `http://${host}` };
    expect((await pollingHandshakeStatus(gw.url, sameHost)).status).toBe(200);
    expect((await websocketHandshake(gw.url, sameHost)).status).toBe(101);
    const socket = await connect(gw.url, tokenFor(alice), { extraHeaders: sameHost });
    expect(socket.connected).toBe(true);
    socket.close();
    // Same host on another port, another host on the same port, and an opaque origin are browser origins like any other.
    const otherPort = { Origin: `http://${new URL(gw.url).hostname}:1` };
    const otherHost = { Origin: `http://evil.example:${new URL(gw.url).port}` };
    for (const headers of [otherPort, otherHost, { Origin: 'null' }]) {
      expect((await pollingHandshakeStatus(gw.url, headers)).status, headers.Origin).toBe(403);
      expect((await websocketHandshake(gw.url, headers)).status, headers.Origin).toBe(400);
    }
  });
});

describe('http endpoints', () => {
  it('serves /health with the replica id, /health/ready and /metrics', async () => {
    const health = await fetch(`${gw.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', replicaId: gw.config.replicaId });
    const ready = await fetch(`${gw.url}/health/ready`);
    expect(ready.status).toBe(200);
    const socket = await connect(gw.url, tokenFor(alice));
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^chat_connected_sockets\{[^}]*\} 1$/m);
    expect(metrics).toContain('chat_messages_delivered_total');
    expect(metrics).toContain('chat_message_send_duration_seconds');
    socket.close();
    expect((await fetch(`${gw.url}/nope`)).status).toBe(404);
  });
});
