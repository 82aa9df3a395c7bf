import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { roomDetailsSchema, roomSchema, type Room } from '@chat/contract';
import { redisKeys } from '@chat/runtime';
import { client, startTestApi, type Client, type TestApi } from './harness.js';
import { recordChannels } from './channel-recorder.js';

let redis: RedisServer;
let api: TestApi;
let http: Client;
let channels: Awaited<ReturnType<typeof recordChannels>>;

beforeAll(async () => {
  redis = await startRedis();
  api = await startTestApi({ databaseUrl: await useTestDatabase(), redisUrl: redis.url });
  http = client(api.url);
  channels = await recordChannels(redis.url);
});
afterAll(async () => {
  await channels?.close();
  await api?.close();
  await redis?.stop();
});

const errorCode = (res: { body: { error?: { code?: string } } }) => res.body.error?.code;

describe('POST /api/rooms', () => {
  it('creates a room with the creator as owner and only member', async () => {
    const { token, user } = await http.register();
    const name = http.uniqueName('General');
    const res = await http.post('/api/rooms', { token, body: { name, description: 'talk here' } });
    expect(res.status).toBe(201);
    const room = roomSchema.strict().parse(res.body);
    expect(room).toMatchObject({ name, description: 'talk here', ownerId: user.id, memberCount: 1 });
    const details = roomDetailsSchema.parse((await http.get(`/api/rooms/${room.id}`, { token })).body);
    expect(details.members).toEqual([{ id: user.id, username: user.username, role: 'owner', online: false }]);
  });

  it('defaults the description to empty and trims the name', async () => {
    const { token } = await http.register();
    const name = http.uniqueName('trim');
    const res = await http.post('/api/rooms', { token, body: { name: `  ${name}  ` } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name, description: '' });
  });

  it('refuses a name taken in another letter case with 409 conflict', async () => {
    const { token } = await http.register();
    const name = http.uniqueName('Lobby');
    await http.createRoom(token, name);
    const res = await http.post('/api/rooms', { token, body: { name: name.toUpperCase() } });
    expect(res.status).toBe(409);
    expect(errorCode(res)).toBe('conflict');
  });

  it.each([
    ['Ärger', 'ärger'],
    ['Église', 'éGLISE'],
    ['ΩΜΕΓΑ', 'ωμεγα'],
    ['Straße', 'STRAßE'],
  ])('refuses a non-ASCII name taken in another letter case (%s, then %s) with 409 conflict', async (first, second) => {
    const { token } = await http.register();
    const suffix = http.uniqueName('');
    await http.createRoom(token, `${first}${suffix}`);
    const res = await http.post('/api/rooms', { token, body: { name: `${second}${suffix}` } });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: { code: 'conflict', message: 'room name is already taken' } });
  });

  it('keeps names apart that differ by more than letter case', async () => {
    const { token } = await http.register();
    const suffix = http.uniqueName('');
    for (const name of [`Ärger${suffix}`, `Arger${suffix}`, `Ärgér${suffix}`]) {
      expect((await http.post('/api/rooms', { token, body: { name } })).status, name).toBe(201);
    }
  });

  it('accepts names of 1 and 64 characters and a description of 500', async () => {
    const { token } = await http.register();
    for (const body of [{ name: 'x' }, { name: 'n'.repeat(63) + 'z', description: 'd'.repeat(500) }]) {
      expect((await http.post('/api/rooms', { token, body })).status).toBe(201);
    }
  });

  it.each([
    ['an empty name', { name: '' }, 'name'],
    ['a name of only spaces', { name: '   ' }, 'name'],
    ['a name of 65 characters', { name: 'n'.repeat(65) }, 'name'],
    ['a numeric name', { name: 42 }, 'name'],
    ['a missing name', { description: 'no name' }, 'name'],
    ['a description of 501 characters', { name: 'fine', description: 'd'.repeat(501) }, 'description'],
    ['a description that is not a string', { name: 'fine', description: ['x'] }, 'description'],
    ['a name holding NUL', { name: 'nul\u0000room' }, 'name: must not contain the NUL'],
    ['a description holding NUL', { name: 'fine', description: 'about\u0000' }, 'description: must not contain the NUL'],
    ['an unknown field', { name: 'fine', private: true }, 'private'],
    ['an array body', [{ name: 'fine' }], 'JSON object'],
    ['malformed JSON', '{"name":', 'malformed'],
  ])('refuses %s with 400 validation', async (_, body, mentions) => {
    const { token } = await http.register();
    const res = await http.post('/api/rooms', { token, body });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('validation');
    expect(res.body.error.message).toContain(mentions);
  });

  it('answers an oversized body with 413 in the contract shape', async () => {
    const { token } = await http.register();
    const res = await http.post('/api/rooms', { token, body: { name: 'big', description: 'd'.repeat(20_000) } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: { code: 'validation', message: 'request body is too large' } });
  });

  it('answers an unauthenticated request with 401 before reading the body', async () => {
    const res = await http.post('/api/rooms', { body: '{not json' });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe('unauthorized');
  });
});

describe('GET /api/rooms', () => {
  it('lists every room oldest first with member counts', async () => {
    const owner = await http.register();
    const other = await http.register();
    const first = await http.createRoom(owner.token);
    const second = await http.createRoom(other.token);
    await http.post(`/api/rooms/${first.id}/join`, { token: other.token });
    const res = await http.get<{ rooms: Room[] }>('/api/rooms', { token: owner.token });
    expect(res.status).toBe(200);
    const ids = res.body.rooms.map((r) => r.id);
    expect(ids.indexOf(first.id)).toBeLessThan(ids.indexOf(second.id));
    expect(res.body.rooms.find((r) => r.id === first.id)?.memberCount).toBe(2);
    expect(res.body.rooms.find((r) => r.id === second.id)?.memberCount).toBe(1);
    const times = res.body.rooms.map((r) => r.createdAt);
    expect([...times].sort()).toEqual(times);
  });

  it('requires a token', async () => {
    expect((await http.get('/api/rooms')).status).toBe(401);
  });
});

describe('GET /api/rooms/:roomId', () => {
  it('shows members offline until the presence hash counts a socket of theirs', async () => {
    const owner = await http.register();
    const guest = await http.register();
    const room = await http.createRoom(owner.token);
    await http.post(`/api/rooms/${room.id}/join`, { token: guest.token });
    const online = async () =>
      Object.fromEntries(
        roomDetailsSchema.parse((await http.get(`/api/rooms/${room.id}`, { token: owner.token })).body).members.map((m) => [m.username, m.online]),
      );
    expect(await online()).toEqual({ [owner.user.username]: false, [guest.user.username]: false });
    // As a gateway writes it: userId → joined sockets across replicas.
    await api.redis.hset(redisKeys.presenceRoom(room.id), guest.user.id, '2', owner.user.id, '0');
    expect(await online()).toEqual({ [owner.user.username]: false, [guest.user.username]: true });
  });

  it('answers an unknown room id and a non-UUID id with 404 not_found', async () => {
    const { token } = await http.register();
    for (const id of [randomUUID(), 'not-a-uuid', '1']) {
      const res = await http.get(`/api/rooms/${id}`, { token });
      expect(res.status, id).toBe(404);
      expect(errorCode(res)).toBe('not_found');
    }
  });
});

describe('join and leave', () => {
  it('join adds a membership once, stores a system message and broadcasts it to the room', async () => {
    const owner = await http.register();
    const guest = await http.register();
    const room = await http.createRoom(owner.token);
    const listener = await channels.room(room.id);

    const joined = await http.post(`/api/rooms/${room.id}/join`, { token: guest.token });
    expect(joined.status).toBe(200);
    expect(roomSchema.parse(joined.body)).toMatchObject({ id: room.id, memberCount: 2 });
    const again = await http.post(`/api/rooms/${room.id}/join`, { token: guest.token });
    expect(again.status).toBe(200);
    expect(again.body.memberCount).toBe(2);

    const history = await http.get(`/api/rooms/${room.id}/messages`, { token: guest.token });
    expect(history.body.messages).toEqual([
      expect.objectContaining({ seq: 1, type: 'system', content: `${guest.user.username} joined the room`, sender: null, clientId: null }),
    ]);
    await waitFor('the broadcast system message', () => listener.messages().length > 0);
    // The same message, which history shows with its (no) reactions.
    expect(listener.messages().map((m) => ({ ...m, reactions: [] }))).toEqual(history.body.messages);
  });

  it('leave removes the membership once, stores and broadcasts a system message, and is idempotent', async () => {
    const owner = await http.register();
    const guest = await http.register();
    const room = await http.createRoom(owner.token);
    await http.post(`/api/rooms/${room.id}/join`, { token: guest.token });
    const listener = await channels.room(room.id);

    const left = await http.post(`/api/rooms/${room.id}/leave`, { token: guest.token });
    expect(left.status).toBe(200);
    expect(left.body).toEqual({ ok: true });
    expect((await http.post(`/api/rooms/${room.id}/leave`, { token: guest.token })).body).toEqual({ ok: true });

    const history = await http.get(`/api/rooms/${room.id}/messages`, { token: owner.token });
    expect(history.body.messages.map((m: { content: string }) => m.content)).toEqual([
      `${guest.user.username} joined the room`,
      `${guest.user.username} left the room`,
    ]);
    await waitFor('the broadcast system message', () => listener.messages().length > 0);
    expect(listener.messages().map((m) => m.content)).toEqual([`${guest.user.username} left the room`]);
    expect((await http.get(`/api/rooms/${room.id}`, { token: owner.token })).body.memberCount).toBe(1);
    // No longer a member: the history is closed to them.
    expect((await http.get(`/api/rooms/${room.id}/messages`, { token: guest.token })).status).toBe(403);
  });

  it('leaving a room one never joined succeeds and stores nothing', async () => {
    const owner = await http.register();
    const stranger = await http.register();
    const room = await http.createRoom(owner.token);
    expect((await http.post(`/api/rooms/${room.id}/leave`, { token: stranger.token })).body).toEqual({ ok: true });
    expect((await http.get(`/api/rooms/${room.id}/messages`, { token: owner.token })).body.messages).toEqual([]);
  });

  it('lets the owner leave; the room stays theirs and they are owner again when they return', async () => {
    const owner = await http.register();
    const room = await http.createRoom(owner.token);
    await http.post(`/api/rooms/${room.id}/leave`, { token: owner.token });
    const after = await http.get(`/api/rooms/${room.id}`, { token: owner.token });
    expect(after.body).toMatchObject({ ownerId: owner.user.id, memberCount: 0, members: [] });
    await http.post(`/api/rooms/${room.id}/join`, { token: owner.token });
    const back = await http.get(`/api/rooms/${room.id}`, { token: owner.token });
    expect(back.body.members).toEqual([{ id: owner.user.id, username: owner.user.username, role: 'owner', online: false }]);
  });

  it('answers join and leave of an unknown or malformed room id with 404', async () => {
    const { token } = await http.register();
    for (const action of ['join', 'leave']) {
      for (const id of [randomUUID(), 'nope']) {
        const res = await http.post(`/api/rooms/${id}/${action}`, { token });
        expect(res.status, `${action} ${id}`).toBe(404);
        expect(errorCode(res)).toBe('not_found');
      }
    }
  });

  it('requires a token for details, join and leave', async () => {
    const { token } = await http.register();
    const room = await http.createRoom(token);
    expect((await http.get(`/api/rooms/${room.id}`)).status).toBe(401);
    expect((await http.post(`/api/rooms/${room.id}/join`)).status).toBe(401);
    expect((await http.post(`/api/rooms/${room.id}/leave`)).status).toBe(401);
  });
});

describe('logout and the gateways', () => {
  it("asks every gateway, on the control channel, to end the token's sessions (only that token's), and refuses the token from then on", async () => {
    const first = await http.register();
    const { jti } = jwt.decode(first.token) as { jti: string };
    const before = channels.control.length;

    expect((await http.post('/api/auth/logout', { token: first.token })).status).toBe(204);
    await waitFor('the control event', () => channels.control.length > before);
    expect(channels.control.slice(before)).toEqual([{ kind: 'end-sessions', userId: first.user.id, tokenId: jti, reason: 'logged_out' }]);
    expect((await http.get('/api/me', { token: first.token })).status).toBe(401);
  });
});
