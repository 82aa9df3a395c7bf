import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { TEST_JWT_SECRET } from '@chat/testkit';
import { authResponseSchema, userSchema } from '@chat/contract';
import { redisKeys } from '@chat/runtime';
import { expectError, useTestApi } from './harness.js';

const t = useTestApi();

describe('POST /api/auth/register', () => {
  it('creates a user and returns 201 with a token and the user', async () => {
    const username = t.http.uniqueName('Alice');
    const res = await t.http.post('/api/auth/register', { body: { username, password: 'correct horse' } });
    expect(res.status).toBe(201);
    const body = authResponseSchema.parse(res.body);
    expect(body.user.username).toBe(username);
    const me = await t.http.get('/api/me', { token: body.token });
    expect(me.status).toBe(200);
    expect(userSchema.parse(me.body)).toEqual(body.user);
  });

  it('stores only an argon2id hash of the password', async () => {
    const { user } = await t.http.register(undefined, 'secret password 1');
    const hash = await t.api.orm.em.getKnex()('users').where({ id: user.id }).first('password_hash');
    expect(hash.password_hash).toMatch(/^\$argon2id\$/);
    expect(hash.password_hash).not.toContain('secret password 1');
  });

  it('refuses a username taken in another letter case with 409 conflict', async () => {
    const username = t.http.uniqueName('Bob');
    await t.http.register(username);
    const res = await t.http.post('/api/auth/register', { body: { username: username.toUpperCase(), password: 'another pass' } });
    expectError(res, 409, 'conflict', 'username');
  });

  it('answers concurrent registrations of one name with one 201 and 409s', async () => {
    const username = t.http.uniqueName('race');
    const results = await Promise.all(
      ['', '', ''].map((_, i) =>
        t.http.post('/api/auth/register', { body: { username: i === 1 ? username.toUpperCase() : username, password: 'correct horse' } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });

  const validBody = { username: 'valid_name', password: 'long enough' };
  const invalid: [string, unknown, string][] = [
    ['a username of 2 characters', { ...validBody, username: 'ab' }, 'username'],
    ['a username of 51 characters', { ...validBody, username: 'a'.repeat(51) }, 'username'],
    ['a username with a hyphen', { ...validBody, username: 'bad-name' }, 'username'],
    ['a username with a space', { ...validBody, username: 'bad name' }, 'username'],
    ['a username with a non-ASCII letter', { ...validBody, username: 'jürgen' }, 'username'],
    ['a numeric username', { ...validBody, username: 12345 }, 'username'],
    ['a missing username', { password: 'long enough' }, 'username'],
    ['a username holding NUL', { ...validBody, username: 'valid\u0000name' }, 'username'],
    ['a password of 7 characters', { ...validBody, password: '1234567' }, 'password'],
    ['a password of 129 characters', { ...validBody, password: 'p'.repeat(129) }, 'password'],
    ['a password that is not a string', { ...validBody, password: 12345678 }, 'password'],
    ['a missing password', { username: 'valid_name' }, 'password'],
    ['an unknown field', { ...validBody, admin: true }, 'admin'],
  ];
  it.each(invalid)('refuses %s with 400 validation naming the field', async (_, body, field) => {
    const res = await t.http.post('/api/auth/register', { body });
    expectError(res, 400, 'validation', field);
  });

  it('accepts usernames of exactly 3 and 50 characters and passwords of 8 and 128', async () => {
    const short = 'a_1';
    const long = 'L'.repeat(49) + '9';
    for (const [username, password] of [
      [short, '12345678'],
      [long, 'p'.repeat(128)],
    ] as const) {
      const res = await t.http.post('/api/auth/register', { body: { username, password } });
      expect(res.status, `${username} / ${password.length}`).toBe(201);
    }
  });

  it.each([
    ['malformed JSON', '{"username": "x",', 'malformed JSON'],
    ['an array body', '[{"username":"valid_name","password":"long enough"}]', 'JSON object'],
    ['a string body', '"valid_name"', 'JSON object'],
    ['a null body', 'null', 'JSON object'],
  ])('answers %s with 400 validation', async (_, raw, mentions) => {
    const res = await t.http.post('/api/auth/register', { body: raw });
    expectError(res, 400, 'validation', mentions);
  });

  it('answers a body that is not JSON with 400 validation', async () => {
    const res = await t.http.post('/api/auth/register', {
      body: 'username=valid_name&password=long+enough',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectError(res, 400, 'validation', 'Content-Type');
  });

  it('answers an empty body with 400 naming the missing field', async () => {
    const res = await t.http.post('/api/auth/register');
    expectError(res, 400, 'validation', 'username');
  });

  it('answers an oversized body with 413 in the contract shape', async () => {
    const res = await t.http.post('/api/auth/register', { body: { username: 'valid_name', password: 'x'.repeat(40_000) } });
    expectError(res, 413, 'validation', 'too large');
  });
});

describe('POST /api/auth/login', () => {
  it('returns 200 with a fresh token for the right password, in any letter case of the name', async () => {
    const username = t.http.uniqueName('Carol');
    const registered = await t.http.register(username, 'carol password');
    const res = await t.http.post('/api/auth/login', { body: { username: username.toLowerCase(), password: 'carol password' } });
    expect(res.status).toBe(200);
    const body = authResponseSchema.parse(res.body);
    expect(body.user).toEqual(registered.user);
    expect(body.token).not.toBe(registered.token);
  });

  it('answers a wrong password and an unknown user with the same 401', async () => {
    const { user } = await t.http.register();
    const wrong = await t.http.post('/api/auth/login', { body: { username: user.username, password: 'not the password' } });
    const unknown = await t.http.post('/api/auth/login', { body: { username: t.http.uniqueName('ghost'), password: 'whatever1' } });
    expectError(wrong, 401, 'unauthorized');
    expectError(unknown, 401, 'unauthorized');
    expect(wrong.body).toEqual(unknown.body);
  });

  it.each([
    ['an empty username', { username: '', password: 'whatever1' }, 'username'],
    ['a missing password', { username: 'someone' }, 'password'],
    ['an unknown field', { username: 'someone', password: 'whatever1', remember: true }, 'remember'],
    ['a numeric password', { username: 'someone', password: 12345678 }, 'password'],
    ['a username of 51 characters', { username: 'a'.repeat(51), password: 'whatever1' }, 'username: must be at most 50'],
    ['a password of 129 characters', { username: 'someone', password: 'p'.repeat(129) }, 'password: must be at most 128'],
    ['a username holding NUL', { username: 'some\u0000one', password: 'whatever1' }, 'username: must not contain the NUL'],
  ])('refuses %s with 400 validation', async (_, body, field) => {
    expectError(await t.http.post('/api/auth/login', { body }), 400, 'validation', field);
  });

  it('takes a password holding NUL (it is only hashed): register, then login with it', async () => {
    const username = t.http.uniqueName('nul');
    const ip = '198.51.100.7'; // its failures must not count against other tests' IP
    await t.http.register(username, 'pass\u0000word');
    expect((await t.http.post('/api/auth/login', { ip, body: { username, password: 'pass\u0000word' } })).status).toBe(200);
    expectError(await t.http.post('/api/auth/login', { ip, body: { username, password: 'pass' } }), 401, 'unauthorized');
    expectError(await t.http.post('/api/auth/login', { ip, body: { username, password: 'pass\u0000wore' } }), 401, 'unauthorized');
  });

  it('accepts a username of 50 characters and a password of 128 at login (a 401 for an unknown user, not a 400)', async () => {
    const body = { username: 'a'.repeat(50), password: 'p'.repeat(128) };
    expectError(await t.http.post('/api/auth/login', { ip: '198.51.100.8', body }), 401, 'unauthorized');
  });
});

describe('GET /api/me and authentication', () => {
  it('refuses a missing, malformed, forged, expired or non-HS256 token with 401', async () => {
    const { user } = await t.http.register();
    const claims = { username: user.username, sub: user.id, jti: 'a-token-id' };
    const forged = jwt.sign(claims, 'some-other-secret-0123456789', { algorithm: 'HS256', expiresIn: 60 });
    const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET, { algorithm: 'HS256' });
    const hs512 = jwt.sign(claims, TEST_JWT_SECRET, { algorithm: 'HS512', expiresIn: 60 });
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    expectError(await t.http.get('/api/me'), 401, 'unauthorized');
    expectError(await t.http.get('/api/me', { headers: { authorization: 'Basic abc' } }), 401, 'unauthorized', 'Bearer');
    const { jti: _jti, ...withoutId } = claims;
    const noTokenId = jwt.sign(withoutId, TEST_JWT_SECRET, { algorithm: 'HS256', expiresIn: 60 });
    for (const token of ['not-a-jwt', forged, expired, hs512, unsigned, noTokenId]) {
      expectError(await t.http.get('/api/me', { token }), 401, 'unauthorized');
    }
    expect((await t.http.get('/api/me', { token: expired })).body.error.message).toContain('expired');
  });
});

describe('a validly signed token that names no user', () => {
  const sign = (sub: string) => jwt.sign({ username: 'ghost' }, TEST_JWT_SECRET, { algorithm: 'HS256', subject: sub, jwtid: randomUUID(), expiresIn: 60 });

  it('is refused with 401 when its user does not exist (deleted), on every route that needs the user', async () => {
    const owner = await t.http.register();
    const room = await t.http.createRoom(owner.token);
    const token = sign(randomUUID());
    expectError(await t.http.get('/api/me', { token }), 401, 'unauthorized', 'no longer exists');
    expectError(await t.http.post('/api/rooms', { token, body: { name: t.http.uniqueName('ghost') } }), 401, 'unauthorized', 'no longer exists');
    expectError(await t.http.post(`/api/rooms/${room.id}/join`, { token }), 401, 'unauthorized', 'no longer exists');
    expect((await t.http.get(`/api/rooms/${room.id}`, { token: owner.token })).body.memberCount).toBe(1);
  });

  it.each([['not-a-uuid'], ['12345'], ['']])('is refused with 401 when its sub is %j, not a UUID', async (sub) => {
    const token = sign(sub);
    expectError(await t.http.get('/api/me', { token }), 401, 'unauthorized', 'invalid token');
    expectError(await t.http.post('/api/rooms', { token, body: { name: t.http.uniqueName('ghost') } }), 401, 'unauthorized');
    expectError(await t.http.get('/api/rooms', { token }), 401, 'unauthorized');
  });
});

describe('POST /api/auth/logout', () => {
  it('returns 204 and the token is refused afterwards, while another token of the user still works', async () => {
    const username = t.http.uniqueName('dave');
    const first = await t.http.register(username, 'dave password');
    const second = (await t.http.post('/api/auth/login', { body: { username, password: 'dave password' } })).body;
    const res = await t.http.post('/api/auth/logout', { token: first.token });
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    expectError(await t.http.get('/api/me', { token: first.token }), 401, 'unauthorized', 'revoked');
    expectError(await t.http.post('/api/auth/logout', { token: first.token }), 401, 'unauthorized');
    expectError(await t.http.get('/api/rooms', { token: first.token }), 401, 'unauthorized');
    expect((await t.http.get('/api/me', { token: second.token })).status).toBe(200);
  });

  it('keeps the denylist entry only until the token would have expired', async () => {
    const { token } = await t.http.register();
    await t.http.post('/api/auth/logout', { token });
    const { jti, exp } = jwt.decode(token) as { jti: string; exp: number };
    const ttl = await t.api.redis.ttl(redisKeys.revokedToken(jti));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(exp - Math.floor(Date.now() / 1000) + 1);
  });

  it('refuses logout without a token with 401', async () => {
    expectError(await t.http.post('/api/auth/logout'), 401, 'unauthorized');
  });
});
