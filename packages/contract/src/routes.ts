import { z } from 'zod';
import type { ErrorCode } from './errors.js';
import {
  authResponseSchema,
  createRoomBodySchema,
  credentialsBodySchema,
  historyQuerySchema,
  historyResponseSchema,
  loginBodySchema,
  okResponseSchema,
  roomDetailsSchema,
  roomIdParamSchema,
  roomListSchema,
  roomSchema,
  userSchema,
} from './rest.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** One REST route: what it takes and what it answers on success. Errors are always the contract's error body. */
export interface RouteSpec {
  method: HttpMethod;
  /** Koa-style: `/api/rooms/:roomId`. */
  path: string;
  /** One line for documentation. */
  summary: string;
  /** Takes `Authorization: Bearer <token>`. */
  auth: boolean;
  /** The path parameters; a value that does not parse names nothing, so it is a 404 with `notFound`. */
  params?: z.ZodObject;
  notFound?: string;
  /** The query, every value a string as it arrives. */
  query?: z.ZodType;
  /** The JSON body. */
  body?: z.ZodType;
  /** The success body, or null for none (204). */
  response: z.ZodType | null;
  /** The success status. */
  status: 200 | 201 | 204;
  /**
   * Error codes this route answers besides those that follow from the spec (`validation` with a
   * body or query, `unauthorized` with auth, `not_found` with params, `unavailable` and `internal`
   * everywhere). Documentation only: the OpenAPI document lists them.
   */
  errors?: readonly ErrorCode[];
}

const route = <const R extends RouteSpec>(spec: R): R => spec;

const roomParams = { params: roomIdParamSchema, notFound: 'room not found' } as const;

/** Every REST route of the API. The Koa routes are registered from it and every REST client is built from it. */
export const routes = {
  register: route({
    method: 'POST',
    path: '/api/auth/register',
    summary: 'Create an account and sign in',
    auth: false,
    body: credentialsBodySchema,
    response: authResponseSchema,
    status: 201,
    errors: ['conflict'],
  }),
  login: route({
    method: 'POST',
    path: '/api/auth/login',
    summary: 'Sign in',
    auth: false,
    body: loginBodySchema,
    response: authResponseSchema,
    status: 200,
    errors: ['unauthorized', 'rate_limited'],
  }),
  logout: route({
    method: 'POST',
    path: '/api/auth/logout',
    summary: 'Revoke this token everywhere, sockets included',
    auth: true,
    response: null,
    status: 204,
  }),
  me: route({ method: 'GET', path: '/api/me', summary: 'The signed-in user', auth: true, response: userSchema, status: 200 }),
  deleteMe: route({
    method: 'DELETE',
    path: '/api/me',
    summary: "Delete the account: every token of it is refused at once, sockets included; its messages stay, sent by 'deleted user'",
    auth: true,
    response: null,
    status: 204,
  }),
  createRoom: route({
    method: 'POST',
    path: '/api/rooms',
    summary: 'Create a room; the creator is its owner and first member',
    auth: true,
    body: createRoomBodySchema,
    response: roomSchema,
    status: 201,
    errors: ['conflict'],
  }),
  listRooms: route({ method: 'GET', path: '/api/rooms', summary: 'Every room, oldest first', auth: true, response: roomListSchema, status: 200 }),
  room: route({
    method: 'GET',
    path: '/api/rooms/:roomId',
    summary: 'A room with its members and who of them is online',
    auth: true,
    ...roomParams,
    response: roomDetailsSchema,
    status: 200,
  }),
  joinRoom: route({ method: 'POST', path: '/api/rooms/:roomId/join', summary: 'Become a member (idempotent)', auth: true, ...roomParams, response: roomSchema, status: 200 }),
  leaveRoom: route({
    method: 'POST',
    path: '/api/rooms/:roomId/leave',
    summary: 'Stop being a member (idempotent)',
    auth: true,
    ...roomParams,
    response: okResponseSchema,
    status: 200,
  }),
  history: route({
    method: 'GET',
    path: '/api/rooms/:roomId/messages',
    summary: "A page of the room's messages in ascending seq (members only)",
    auth: true,
    ...roomParams,
    query: historyQuerySchema,
    response: historyResponseSchema,
    status: 200,
    errors: ['forbidden'],
  }),
  openapi: route({
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    auth: false,
    response: z.record(z.string(), z.unknown()),
    status: 200,
  }),
} as const satisfies Record<string, RouteSpec>;

export type Routes = typeof routes;
export type RouteName = keyof Routes;

type OutputOf<S> = S extends z.ZodType ? z.output<S> : never;
type InputOf<S> = S extends z.ZodType ? z.input<S> : never;

/** What a route answers on success (`void` for 204). */
export type RouteResponse<N extends RouteName> = Routes[N]['response'] extends z.ZodType ? z.output<Routes[N]['response']> : void;
/** Its parsed path parameters, query and body, as a handler receives them. */
export type RouteParams<N extends RouteName> = Routes[N] extends { params: infer P } ? OutputOf<P> : Record<never, never>;
export type RouteQuery<N extends RouteName> = Routes[N] extends { query: infer Q } ? OutputOf<Q> : Record<never, never>;
export type RouteBody<N extends RouteName> = Routes[N] extends { body: infer B } ? OutputOf<B> : undefined;
/** What a client sends: the body's input type; query values may be numbers (they are sent as text). */
export type RouteBodyInput<N extends RouteName> = Routes[N] extends { body: infer B } ? InputOf<B> : undefined;
export type RouteQueryInput<N extends RouteName> = Routes[N] extends { query: infer Q }
  ? { [K in keyof InputOf<Q>]?: string | number }
  : Record<never, never>;

/** Fills `:name` segments of a route's path, each value URI-encoded. */
export function routePath(path: string, params: Record<string, string | number> = {}): string {
  return path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`path parameter ${name} of ${path} is missing`);
    return encodeURIComponent(String(value));
  });
}
