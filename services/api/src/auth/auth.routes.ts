import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { AppError, credentialsBodySchema, loginBodySchema, type AuthResponse, type User } from '@chat/contract';
import { revokeToken, signToken, tokenRoom } from '@chat/runtime';
import { USER_GONE } from '@chat/store';
import { authOf, type ApiServices, type ApiState } from '../context.js';
import { readBody } from '../http/json-body.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordVerifier, hashPassword } from './passwords.js';

export interface AuthRouteDeps {
  services: ApiServices;
  requireAuth: Middleware<ApiState>;
  jsonBody: Middleware;
}

const INVALID_CREDENTIALS = 'invalid username or password';

/** POST /api/auth/register, /api/auth/login, /api/auth/logout and GET /api/me. */
export function authRoutes(router: Router<ApiState>, { services, requireAuth, jsonBody }: AuthRouteDeps): void {
  const { config, store, redis, emitter } = services;
  const log = services.logger.child({ module: 'auth' });
  const throttle = new LoginThrottle(redis, config.loginLimit);
  const passwords = new PasswordVerifier();
  const issue = (user: User): AuthResponse => ({
    token: signToken({ id: user.id, username: user.username }, config.jwtSecret, config.jwtTtl),
    user,
  });

  router.post('/api/auth/register', jsonBody, async (ctx) => {
    const { username, password } = readBody(ctx, credentialsBodySchema);
    const user = await store.users.create(username, await hashPassword(password));
    log.info({ userId: user.id }, 'user registered');
    ctx.status = 201;
    ctx.body = issue(user);
  });

  router.post('/api/auth/login', jsonBody, async (ctx) => {
    const { username, password } = readBody(ctx, loginBodySchema);
    const attempt = await throttle.begin(ctx.ip, username);
    const found = await store.users.findByUsername(username);
    const ok = await passwords.verify(found?.passwordHash, password);
    if (!found || !ok) {
      log.info({ ip: ctx.ip, known: Boolean(found) }, 'login failed');
      throw AppError.unauthorized(INVALID_CREDENTIALS);
    }
    await attempt.succeeded();
    ctx.body = issue(found.user);
  });

  router.post('/api/auth/logout', requireAuth, async (ctx) => {
    const { tokenId, expiresAt, user } = authOf(ctx);
    await revokeToken(redis, tokenId, expiresAt);
    // Every gateway drops the sockets that authenticated with this token.
    emitter.in(tokenRoom(tokenId)).disconnectSockets(true);
    log.info({ userId: user.id }, 'logged out');
    ctx.status = 204;
  });

  router.get('/api/me', requireAuth, async (ctx) => {
    const user = await store.users.findById(authOf(ctx).user.id);
    if (!user) throw AppError.unauthorized(USER_GONE);
    ctx.body = user;
  });

}
