import { describe, expect, it } from 'vitest';
import { DELETED_USERNAME, historyResponseSchema, type AuthResponse } from '@chat/contract';
import { redisKeys } from '@chat/runtime';
import { waitFor } from '@chat/testkit';
import { recordChannels } from './channel-recorder.js';
import { expectError, useTestApi } from './harness.js';

const t = useTestApi();

const login = async (username: string, password = 'correct horse'): Promise<AuthResponse> =>
  (await t.http.post<AuthResponse>('/api/auth/login', { body: { username, password } })).body;

describe('DELETE /api/me', () => {
  it('answers 204; every token of the account is refused at once, the name is free again, and its messages stay, sent by "deleted user"', async () => {
    const username = t.http.uniqueName('ida');
    const ida = await t.http.register(username);
    const other = await login(username);
    const jon = await t.http.register();
    const room = await t.http.createRoom(jon.token);
    expect((await t.http.post(`/api/rooms/${room.id}/join`, { token: ida.token })).status).toBe(200);
    await t.api.store.messages.append([{ roomId: room.id, type: 'message', content: 'hello from ida', sender: ida.user, clientId: 'ida-1' }]);

    const res = await t.http.request('DELETE', '/api/me', { token: ida.token });
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    for (const token of [ida.token, other.token]) expectError(await t.http.get('/api/me', { token }), 401, 'unauthorized', 'the account has been deleted');
    expectError(await t.http.request('DELETE', '/api/me', { token: other.token }), 401, 'unauthorized');
    expectError(await t.http.post('/api/auth/login', { body: { username, password: 'correct horse' } }), 401, 'unauthorized');

    const details = (await t.http.get(`/api/rooms/${room.id}`, { token: jon.token })).body as { members: { id: string }[] };
    expect(details.members.map((m) => m.id)).toEqual([jon.user.id]);
    const page = historyResponseSchema.parse((await t.http.get(`/api/rooms/${room.id}/messages`, { token: jon.token })).body);
    const kept = page.messages.find((m) => m.content === 'hello from ida');
    expect(kept?.sender).toEqual({ id: ida.user.id, username: DELETED_USERNAME });

    // The name can be taken again, by a new account.
    const again = await t.http.register(username);
    expect(again.user.id).not.toBe(ida.user.id);
    expect((await t.http.get('/api/me', { token: again.token })).status).toBe(200);
  });

  it("tells every gateway to end the account's sockets (a control event, reason deleted)", async () => {
    const channels = await recordChannels(t.redis.url);
    try {
      const kim = await t.http.register();
      expect((await t.http.request('DELETE', '/api/me', { token: kim.token })).status).toBe(204);
      await waitFor('the control event', () => channels.control.length > 0);
      expect(channels.control).toEqual([{ kind: 'end-sessions', userId: kim.user.id, reason: 'deleted' }]);
    } finally {
      await channels.close();
    }
  });

  it('refuses without a token with 401', async () => {
    expectError(await t.http.request('DELETE', '/api/me'), 401, 'unauthorized');
  });
});

describe('the denylist survives Redis losing its data', () => {
  it('still refuses a logged-out token and a deleted account after FLUSHALL: reloaded from PostgreSQL', async () => {
    const lea = await t.http.register();
    const leaLater = await login(lea.user.username);
    expect((await t.http.post('/api/auth/logout', { token: lea.token })).status).toBe(204);
    const max = await t.http.register();
    expect((await t.http.request('DELETE', '/api/me', { token: max.token })).status).toBe(204);

    await t.api.redis.flushall();
    expectError(await t.http.get('/api/me', { token: lea.token }), 401, 'unauthorized', 'revoked');
    expectError(await t.http.get('/api/rooms', { token: max.token }), 401, 'unauthorized', 'the account has been deleted');
    // What was not revoked still works.
    expect((await t.http.get('/api/me', { token: leaLater.token })).status).toBe(200);
    expect(await t.api.redis.exists(redisKeys.revocationsLoaded)).toBe(1);
  });
});

describe('JSON bodies with __proto__ or constructor keys', () => {
  it.each([
    ['__proto__', '{"username":"%s","password":"correct horse","__proto__":{"admin":true}}'],
    ['constructor', '{"username":"%s","password":"correct horse","constructor":{"prototype":{"admin":true}}}'],
  ])('refuses a register body with a %s key as an unknown field, 400 validation naming it', async (key, template) => {
    const res = await t.http.post('/api/auth/register', { body: template.replace('%s', t.http.uniqueName()) });
    expectError(res, 400, 'validation', key);
    expect((res.body as { error: { message: string } }).error.message).not.toContain('malformed');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses a room body with a __proto__ key the same way', async () => {
    const { token } = await t.http.register();
    expectError(await t.http.post('/api/rooms', { token, body: `{"name":"${t.http.uniqueName('r')}","__proto__":{}}` }), 400, 'validation', '__proto__');
  });
});

describe('text normalised at the edge', () => {
  it('stores a lone surrogate in a room name and description as U+FFFD, the same in the answer and in every read', async () => {
    const { token } = await t.http.register();
    const name = `${t.http.uniqueName('s')}\ud800`;
    const created = await t.http.post('/api/rooms', { token, body: { name, description: 'a\udfffb' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: `${name.slice(0, -1)}\ufffd`, description: 'a\ufffdb' });
    const read = (await t.http.get(`/api/rooms/${(created.body as { id: string }).id}`, { token })).body as { name: string; description: string };
    expect([read.name, read.description]).toEqual([`${name.slice(0, -1)}\ufffd`, 'a\ufffdb']);
  });
});
