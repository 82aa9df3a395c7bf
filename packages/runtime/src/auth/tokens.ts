import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AppError, uuidSchema, type UserRef } from '@chat/contract';
import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';

/** The one algorithm tokens are signed and verified with. */
export const JWT_ALGORITHM = 'HS256' as const;

export interface TokenClaims {
  sub: string;
  username: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface VerifiedToken {
  user: UserRef;
  tokenId: string;
  expiresAt: number;
}

export function signToken(user: UserRef, secret: string, ttlSeconds: number): string {
  return jwt.sign({ username: user.username }, secret, {
    algorithm: JWT_ALGORITHM,
    subject: user.id,
    jwtid: randomUUID(),
    expiresIn: ttlSeconds,
  });
}

/**
 * Reads claims after koa-jwt or `verifyToken` checked signature and expiry. A
 * `sub` that is not a UUID names no user (every query would fail on it), so
 * such a token is as invalid as a forged one.
 */
export function claimsToToken(claims: unknown): VerifiedToken {
  const c = claims as Partial<TokenClaims> | null;
  if (!c || typeof c.sub !== 'string' || typeof c.username !== 'string' || typeof c.jti !== 'string' || typeof c.exp !== 'number') {
    throw AppError.unauthorized('invalid token');
  }
  if (!uuidSchema.safeParse(c.sub).success) throw AppError.unauthorized('invalid token');
  return { user: { id: c.sub.toLowerCase(), username: c.username }, tokenId: c.jti, expiresAt: c.exp };
}

/** Verifies signature (HS256 only), expiry and the logout denylist. */
export async function verifyToken(token: string, secret: string, redis: RedisClient): Promise<VerifiedToken> {
  let claims: unknown;
  try {
    claims = jwt.verify(token, secret, { algorithms: [JWT_ALGORITHM] });
  } catch {
    throw AppError.unauthorized('invalid or expired token');
  }
  const verified = claimsToToken(claims);
  if (await isTokenRevoked(redis, verified.tokenId)) throw AppError.unauthorized('token has been revoked');
  return verified;
}

export async function isTokenRevoked(redis: RedisClient, tokenId: string): Promise<boolean> {
  return (await redis.exists(redisKeys.revokedToken(tokenId))) === 1;
}

/** Puts a token on the denylist until it would have expired anyway. */
export async function revokeToken(redis: RedisClient, tokenId: string, expiresAt: number): Promise<void> {
  const ttl = Math.max(1, Math.ceil(expiresAt - Date.now() / 1000));
  await redis.set(redisKeys.revokedToken(tokenId), '1', 'EX', ttl);
}
