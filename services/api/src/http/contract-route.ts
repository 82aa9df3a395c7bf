import type Router from '@koa/router';
import type { RouterMiddleware } from '@koa/router';
import type { Middleware } from 'koa';
import {
  AppError,
  parseOrThrow,
  routes,
  type RouteBody,
  type RouteName,
  type RouteParams,
  type RouteQuery,
  type RouteResponse,
  type RouteSpec,
} from '@chat/contract';
import type { VerifiedToken } from '@chat/runtime';
import type { ApiRouterContext, ApiState } from '../context.js';
import { readBody } from './json-body.js';

/** What a handler of route `N` receives, parsed and validated by the route's schemas. */
export interface RouteInput<N extends RouteName> {
  params: RouteParams<N>;
  query: RouteQuery<N>;
  body: RouteBody<N>;
  /** The caller's verified token on routes that take one. */
  auth: (typeof routes)[N]['auth'] extends true ? VerifiedToken : undefined;
  ctx: ApiRouterContext;
}

export type RouteHandler<N extends RouteName> = (input: RouteInput<N>) => Promise<RouteResponse<N>>;

export type DefineRoute = <N extends RouteName>(name: N, handler: RouteHandler<N>) => void;

/**
 * Registers routes of the contract's route table on `router`: authentication
 * where the route takes a token, the JSON body parser where it takes a body,
 * then params, query and body parsed by its schemas, and the answer sent with
 * its status. A path parameter that does not parse names nothing: 404.
 */
export function contractRoutes(router: Router<ApiState>, middleware: { requireAuth: Middleware<ApiState>; jsonBody: Middleware }): DefineRoute {
  return (name, handler) => {
    const spec: RouteSpec = routes[name];
    const chain: Middleware<ApiState>[] = [...(spec.auth ? [middleware.requireAuth] : []), ...(spec.body ? [middleware.jsonBody] : [])];
    const run: RouterMiddleware<ApiState> = async (ctx) => {
      const params = spec.params ? parsePath(spec, ctx.params) : {};
      const query = spec.query ? parseOrThrow(spec.query, singleValued(ctx.query)) : {};
      const body = spec.body ? readBody(ctx, spec.body) : undefined;
      const input = { params, query, body, auth: ctx.state.auth, ctx } as RouteInput<typeof name>;
      const result = await handler(input);
      ctx.status = spec.status;
      if (spec.response !== null) ctx.body = result;
    };
    router.register(spec.path, [spec.method], [...chain, run] as RouterMiddleware<ApiState>[]);
  };
}

function parsePath(spec: RouteSpec, raw: Record<string, string>): object {
  const parsed = spec.params?.safeParse(raw);
  if (!parsed?.success) throw AppError.notFound(spec.notFound ?? 'not found');
  return parsed.data;
}

/** A repeated query parameter (`?limit=1&limit=2`) is ambiguous: refuse it rather than pick one. */
function singleValued(query: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) throw AppError.validation(`${key}: must be given once`);
    out[key] = value;
  }
  return out;
}
