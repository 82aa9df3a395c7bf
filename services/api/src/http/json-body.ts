import coBody from 'co-body';
import type { Middleware } from 'koa';
import type { z } from 'zod';
import { AppError, parseOrThrow } from '@chat/contract';

declare module 'koa' {
  interface Request {
    /** The parsed JSON body, on routes that take one (jsonBody). */
    body?: unknown;
  }
}

/**
 * Parses a JSON body up to `limit` (co-body: 413 over it, 400 for what is not JSON). Mounted
 * only on routes that take a body, behind authentication, so an anonymous caller's body is
 * never read. Non-strict so that `null`, strings and numbers reach `readBody` and get a clear
 * 400 instead of a parser error. `__proto__` and `constructor` keys stay ordinary own keys
 * (JSON.parse never sets a prototype): the route's schema refuses them as any unknown field.
 */
export function jsonBody(limit: string): Middleware {
  return async (ctx, next) => {
    // type-is: null without a body, false for a body of another type; `Content-Length: 0` is no body either.
    const type = ctx.request.is('application/json', '+json');
    if (ctx.request.length !== 0 && type === false) throw AppError.validation('Content-Type must be application/json');
    if (type !== null && type !== false) {
      ctx.request.body = await coBody.json(ctx, { limit, strict: false, encoding: 'utf-8', onProtoPoisoning: 'ignore' } as coBody.Options);
    }
    await next();
  };
}

/** The parsed body validated by `schema`; an absent or empty body counts as `{}`. */
export function readBody<S extends z.ZodType>(ctx: { request: { body?: unknown } }, schema: S): z.output<S> {
  const body = ctx.request.body;
  const value = body === undefined || body === '' ? {} : body;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw AppError.validation('request body must be a JSON object');
  }
  return parseOrThrow(schema, value);
}
