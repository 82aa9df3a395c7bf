import { describe, expect, it } from 'vitest';
import { AppError } from '@chat/contract';
import { claimsToToken } from './tokens.js';

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
