import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { AppError } from '@chat/contract';
import type { Revocations } from './revocations.js';
import { TokenRefused, claimsToToken, signToken, verifyToken } from './tokens.js';

const claims = { sub: '4f1c2a9e-8a55-4d7b-9a43-2f4f3f6b1a10', username: 'alice', jti: 'j-1', iat: 1, exp: 2 };

describe('claimsToToken', () => {
  it('makes a token user of UUID claims, the id in lower case', () => {
    expect(claimsToToken({ ...claims, sub: claims.sub.toUpperCase() })).toEqual({
      user: { id: claims.sub, username: 'alice' },
      tokenId: 'j-1',
      expiresAt: 2,
    });
  });

  it.each([['not-a-uuid'], [''], ['4f1c2a9e-8a55-4d7b-9a43-2f4f3f6b1a1'], [`${claims.sub} `], [42]])('refuses sub %j as unauthorized', (sub) => {
    let thrown: unknown;
    try {
      claimsToToken({ ...claims, sub });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('unauthorized');
  });
});

describe('signToken and verifyToken (the secret as an HMAC key made once)', () => {
  const secret = 'a-secret-of-at-least-thirty-two-characters';
  const user = { id: claims.sub, username: 'alice' };
  const noRevocations = { check: async () => undefined } as unknown as Revocations;
  const refusal = async (token: string, key = secret): Promise<unknown> => verifyToken(token, key, noRevocations).then(() => undefined, (err: unknown) => err);

  it('verifies its own tokens and those signed with the secret as a string', async () => {
    const ours = signToken(user, secret, 60);
    const plain = jwt.sign({ username: 'alice' }, secret, { algorithm: 'HS256', subject: user.id, jwtid: 'j-2', expiresIn: 60 });
    expect((await verifyToken(ours, secret, noRevocations)).user).toEqual(user);
    expect(await verifyToken(plain, secret, noRevocations)).toMatchObject({ user, tokenId: 'j-2' });
    expect(jwt.verify(ours, secret, { algorithms: ['HS256'] })).toMatchObject({ sub: user.id, username: 'alice' });
  });

  it('refuses a token of another secret, an unsigned one and one signed with RS256', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const tokens = [
      signToken(user, 'another-secret-of-at-least-thirty-two-chars', 60),
      jwt.sign({ username: 'alice', sub: user.id, jti: 'j-3' }, null, { algorithm: 'none', expiresIn: 60 }),
      jwt.sign({ username: 'alice', sub: user.id, jti: 'j-4' }, privateKey, { algorithm: 'RS256', expiresIn: 60 }),
    ];
    for (const token of tokens) {
      const err = await refusal(token);
      expect(err).toBeInstanceOf(TokenRefused);
      expect((err as TokenRefused).reason).toBe('invalid');
    }
  });

  it('refuses an expired token', async () => {
    const expired = jwt.sign({ username: 'alice', exp: Math.floor(Date.now() / 1000) - 10 }, secret, { algorithm: 'HS256', subject: user.id, jwtid: 'j-5' });
    expect(await refusal(expired)).toBeInstanceOf(TokenRefused);
  });
});
