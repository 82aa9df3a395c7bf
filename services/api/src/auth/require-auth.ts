import koaJwt from 'koa-jwt';
import type { Middleware } from 'koa';
import { AppError } from '@chat/contract';
import { JWT_ALGORITHM, REVOKED_MESSAGES, claimsToToken, jwtKey, type Revocations } from '@chat/runtime';
import type { ApiState } from '../context.js';

/** What koa-jwt throws when `isRevoked` says yes. */
const KOA_JWT_REVOKED = 'Token revoked';

/** Says why koa-jwt refused, without echoing the token. */
function reasonOf(original: unknown): AppError {
  if (original instanceof AppError) return original;
  if (original instanceof Error && original.name === 'TokenExpiredError') return AppError.unauthorized('token has expired');
  if (original instanceof Error && original.message === KOA_JWT_REVOKED) return AppError.unauthorized('token has been revoked');
  return AppError.unauthorized('invalid token');
}

/**
 * `Authorization: Bearer <token>`: HS256 only, not expired, not logged out, its account not
 * deleted. Sets `ctx.state.auth`; anything else is a 401 `unauthorized` (or 503 when the
 * denylist cannot be read).
 */
export function requireAuth(secret: string, revocations: Revocations): Middleware<ApiState> {
  const verify = koaJwt({
    // koa-jwt hands it to jsonwebtoken, which takes a KeyObject (its types say string or Buffer).
    secret: jwtKey(secret) as unknown as Buffer,
    algorithms: [JWT_ALGORITHM],
    key: 'jwt',
    isRevoked: async (_ctx, claims) => {
      const token = claimsToToken(claims);
      let refused;
      try {
        refused = await revocations.check(token.tokenId, token.user.id);
      } catch (err) {
        throw new AppError('unavailable', 'cannot check the token right now', { cause: err });
      }
      if (refused) throw AppError.unauthorized(REVOKED_MESSAGES[refused]);
      return false;
    },
  });

  return async (ctx, next) => {
    if (!ctx.get('Authorization')) throw AppError.unauthorized('authentication required');
    let verified = false;
    try {
      await verify(ctx, async () => {
        verified = true;
      });
    } catch (err) {
      const original = (err as { originalError?: unknown }).originalError;
      throw original === undefined ? AppError.unauthorized('Authorization must be "Bearer <token>"') : reasonOf(original);
    }
    if (!verified) throw AppError.unauthorized('invalid token');
    ctx.state.auth = claimsToToken(ctx.state.jwt);
    await next();
  };
}
