import { bodyParser } from '@koa/bodyparser';
import type { Middleware } from 'koa';
import type { z } from 'zod';
import { AppError, parseOrThrow } from '@chat/contract';

/**
 * Parses a JSON body up to `limit`. Mounted only on routes that take a body,
 * behind authentication, so an anonymous caller's body is never read.
 * Non-strict so that `null`, strings and numbers reach `readBody` and get a
 * clear 400 instead of a parser error.
 */
export function jsonBody(limit: string): Middleware {
  const parse = bodyParser({ enableTypes: ['json'], jsonLimit: limit, jsonStrict: false, encoding: 'utf-8' });
  return async (ctx, next) => {
    // type-is: null without a body, false for a body of another type; `Content-Length: 0` is no body either.
    if (ctx.request.length !== 0 && ctx.request.is('application/json', '+json') === false) {
      throw AppError.validation('Content-Type must be application/json');
    }
    await parse(ctx, next);
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
