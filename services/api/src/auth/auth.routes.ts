import { AppError, type AuthResponse, type User } from '@chat/contract';
import { publishControl, safeError, signToken } from '@chat/runtime';
import { USER_GONE } from '@chat/store';
import type { ApiServices } from '../context.js';
import type { DefineRoute } from '../http/contract-route.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordVerifier, hashPassword } from './passwords.js';

const INVALID_CREDENTIALS = 'invalid username or password';

/** register, login, logout and me. */
export function authRoutes(route: DefineRoute, services: ApiServices): void {
  const { config, store, redis, revocations } = services;
  const log = services.logger.child({ module: 'auth' });
  const throttle = new LoginThrottle(redis, config.loginLimit, services.registry);
  const passwords = new PasswordVerifier();
  const issue = (user: User): AuthResponse => ({
    token: signToken({ id: user.id, username: user.username }, config.jwtSecret, config.jwtTtl),
    user,
  });

  route('register', async ({ body: { username, password } }) => {
    const user = await store.users.create(username, await hashPassword(password));
    log.info({ userId: user.id }, 'user registered');
    return issue(user);
  });

  route('login', async ({ body: { username, password }, ctx }) => {
    const attempt = await throttle.begin(ctx.ip, username);
    const found = await store.users.findByUsername(username);
    const ok = await passwords.verify(found?.passwordHash, password);
    if (!found || !ok) {
      log.info({ ip: ctx.ip, known: Boolean(found) }, 'login failed');
      throw AppError.unauthorized(INVALID_CREDENTIALS);
    }
    await attempt.succeeded();
    return issue(found.user);
  });

  route('logout', async ({ auth: { tokenId, expiresAt, user } }) => {
    // Durable first (it survives Redis losing its data), then the cache every check reads.
    await store.revocations.revoke(tokenId, user.id, expiresAt);
    await revocations.revokeToken(tokenId, expiresAt);
    // Every gateway ends the sockets that authenticated with this token, telling them why. Revoked
    // already: if this is lost, the gateways refuse the token at its next handshake.
    await publishControl(redis, { kind: 'end-sessions', userId: user.id, tokenId, reason: 'logged_out' }).catch((err: unknown) => {
      log.warn({ err: safeError(err), userId: user.id }, 'logout not published to the gateways');
    });
    log.info({ userId: user.id }, 'logged out');
  });

  route('me', async ({ auth }) => {
    const user = await store.users.findById(auth.user.id);
    if (!user) throw AppError.unauthorized(USER_GONE);
    return user;
  });

  route('deleteMe', async ({ auth: { user } }) => {
    if (!(await store.users.delete(user.id))) throw AppError.unauthorized(USER_GONE);
    // Deleted in PostgreSQL (a reload of the denylist finds it there); now refused everywhere at once.
    await revocations.deleteUser(user.id);
    await publishControl(redis, { kind: 'end-sessions', userId: user.id, reason: 'deleted' }).catch((err: unknown) => {
      log.warn({ err: safeError(err), userId: user.id }, 'account deletion not published to the gateways');
    });
    log.info({ userId: user.id }, 'account deleted');
  });
}
