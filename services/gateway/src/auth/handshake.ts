import { AppError } from '@chat/contract';
import { safeError, TokenRefused, verifyToken, type Logger, type Revocations } from '@chat/runtime';
import type { ExtendedError } from 'socket.io';
import type { GatewaySocket } from '../socket/types.js';
import type { LiveAccounts } from './live-accounts.js';
import type { SocketQuota } from './socket-quota.js';

/** Why a handshake was refused, as `chat_handshake_refusals_total` counts it. */
export type HandshakeRefusal = 'no_token' | 'invalid_token' | 'logged_out' | 'deleted' | 'too_many_sockets' | 'unavailable';

/** How long a client refused for too many sockets is asked to wait. */
const SOCKET_CAP_RETRY_MS = 10_000;

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

/** A `connect_error` for the client: its `message` is the contract's code, `data` the error (`retryAfterMs` with `rate_limited`). */
function connectError(error: AppError): ExtendedError {
  const err: ExtendedError = new Error(error.code);
  err.data = { code: error.code, message: error.expose ? error.message : 'internal error' };
  if (error.retryAfterMs !== undefined) err.data.retryAfterMs = error.retryAfterMs;
  return err;
}

class Refused extends Error {
  constructor(
    readonly reason: HandshakeRefusal,
    readonly error: AppError,
  ) {
    super(error.message);
  }
}

export interface HandshakeDeps {
  jwtSecret: string;
  revocations: Revocations;
  accounts: LiveAccounts;
  quota: SocketQuota;
  logger: Logger;
  onRefused: (reason: HandshakeRefusal) => void;
}

/**
 * `io.use` middleware: verifies the token (HS256 only, expiry, not logged out, the account not
 * deleted in Redis's denylist nor in PostgreSQL), takes a place under the user's socket cap, and
 * stores who the socket is in `socket.data`.
 */
export function handshakeAuth(deps: HandshakeDeps) {
  const log = deps.logger.child({ module: 'auth' });

  async function admit(socket: GatewaySocket): Promise<void> {
    const token = handshakeToken(socket);
    if (!token) throw new Refused('no_token', AppError.unauthorized('a token is required'));
    let verified;
    try {
      verified = await verifyToken(token, deps.jwtSecret, deps.revocations);
    } catch (err) {
      if (err instanceof TokenRefused) throw new Refused(err.reason === 'invalid' ? 'invalid_token' : err.reason, err);
      throw err;
    }
    if (!(await deps.accounts.isLive(verified.user.id))) throw new Refused('deleted', AppError.unauthorized('the account has been deleted'));
    if (!(await deps.quota.acquire(verified.user.id, socket.id))) {
      throw new Refused(
        'too_many_sockets',
        AppError.rateLimited(SOCKET_CAP_RETRY_MS, `this user already has ${deps.quota.maxPerUser} connections open; close one first`),
      );
    }
    socket.data = { user: verified.user, tokenId: verified.tokenId, tokenExpiresAt: verified.expiresAt };
  }

  return (socket: GatewaySocket, next: (err?: ExtendedError) => void): void => {
    admit(socket).then(
      () => next(),
      (err: unknown) => {
        if (err instanceof Refused) {
          deps.onRefused(err.reason);
          log.debug({ socketId: socket.id, reason: err.reason }, 'handshake refused');
          next(connectError(err.error));
          return;
        }
        deps.onRefused('unavailable');
        log.error({ socketId: socket.id, err: safeError(err) }, 'handshake failed');
        next(connectError(new AppError('unavailable', 'try again shortly')));
      },
    );
  };
}
