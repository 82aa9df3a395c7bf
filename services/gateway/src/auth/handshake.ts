import { AppError } from '@chat/contract';
import { safeError, toAppError, verifyToken, type Logger, type RedisClient } from '@chat/runtime';
import type { ExtendedError } from 'socket.io';
import type { GatewaySocket } from '../socket/types.js';

/** The bearer token of a handshake: `auth.token`, else an `Authorization: Bearer` header, else the `token` query parameter. */
export function handshakeToken(socket: GatewaySocket): string | undefined {
  const auth: unknown = socket.handshake.auth;
  const fromAuth = typeof auth === 'object' && auth !== null ? (auth as Record<string, unknown>).token : undefined;
  if (typeof fromAuth === 'string' && fromAuth !== '') return fromAuth;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(socket.handshake.headers.authorization ?? '')?.[1];
  if (bearer) return bearer;
  const fromQuery = socket.handshake.query.token;
  return typeof fromQuery === 'string' && fromQuery !== '' ? fromQuery : undefined;
}

/** A `connect_error` for the client: its `message` is the contract's code (`unauthorized`, or `unavailable` on an outage). */
function connectError(error: AppError): ExtendedError {
  const err: ExtendedError = new Error(error.code);
  err.data = { code: error.code, message: error.expose ? error.message : 'internal error' };
  return err;
}

/**
 * `io.use` middleware: verifies the token (HS256 only, expiry, logout denylist)
 * and stores who the socket is in `socket.data`.
 */
export function handshakeAuth(options: { jwtSecret: string; redis: RedisClient; logger: Logger }) {
  const log = options.logger.child({ module: 'auth' });
  return (socket: GatewaySocket, next: (err?: ExtendedError) => void): void => {
    const token = handshakeToken(socket);
    if (!token) {
      next(connectError(AppError.unauthorized('a token is required')));
      return;
    }
    verifyToken(token, options.jwtSecret, options.redis).then(
      (verified) => {
        socket.data = { user: verified.user, tokenId: verified.tokenId, tokenExpiresAt: verified.expiresAt };
        next();
      },
      (err: unknown) => {
        const error = toAppError(err);
        if (error.code === 'unauthorized') log.debug({ socketId: socket.id }, 'handshake refused');
        else log.error({ socketId: socket.id, err: safeError(err) }, 'handshake failed');
        next(connectError(error.code === 'unauthorized' ? error : new AppError('unavailable', 'try again shortly')));
      },
    );
  };
}
