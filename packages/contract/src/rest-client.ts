import { errorBodySchema } from './primitives.js';
import type { ErrorCode } from './errors.js';
import {
  routePath,
  routes,
  type RouteBodyInput,
  type RouteName,
  type RouteParams,
  type RouteQueryInput,
  type RouteResponse,
  type RouteSpec,
} from './routes.js';

/** A REST call that did not succeed: the contract's error code, `network` when the server could not be reached. */
export class RestError extends Error {
  override readonly name = 'RestError';
  constructor(
    readonly code: ErrorCode | 'network',
    message: string,
    /** The HTTP status; 0 when there was no answer. */
    readonly status = 0,
    /** How long to wait before trying again (rate limits), from the answer. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface RestClientOptions {
  /** Where `/api/...` lives, without a trailing slash; '' for the page's own origin. */
  baseUrl: string;
  /** The bearer token of authenticated calls. */
  token?: () => string | null | undefined;
  /** An authenticated call answered 401: the token expired, was revoked, or its user is gone. */
  onUnauthorized?: () => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

type Has<T> = keyof T extends never ? false : true;

/** What one call takes: path parameters, query and body where the route has them, and optionally a token of its own. */
export type CallInput<N extends RouteName> = { token?: string } & (Has<RouteParams<N>> extends true ? { params: RouteParams<N> } : { params?: undefined }) &
  (Has<RouteQueryInput<N>> extends true ? { query?: RouteQueryInput<N> } : { query?: undefined }) &
  (RouteBodyInput<N> extends undefined ? { body?: undefined } : { body: RouteBodyInput<N> });

type NeedsInput<N extends RouteName> = Has<RouteParams<N>> extends true ? true : RouteBodyInput<N> extends undefined ? false : true;

export type RestCall<N extends RouteName> = NeedsInput<N> extends true
  ? (input: CallInput<N>) => Promise<RouteResponse<N>>
  : (input?: CallInput<N>) => Promise<RouteResponse<N>>;

/** One typed method per route of the contract's route table. */
export type RestClient = { [N in RouteName]: RestCall<N> };

/**
 * A client of every REST route, built from the route table: it fills the path,
 * sends the body as JSON with the bearer token, checks the answer against the
 * route's status and response schema, and throws a RestError otherwise.
 * Runs wherever `fetch` does (browsers, React Native, Node ≥ 18).
 */
export function createRestClient(options: RestClientOptions): RestClient {
  const doFetch = options.fetch ?? ((url: string, init?: RequestInit) => globalThis.fetch(url, init));

  async function call(spec: RouteSpec, input: { token?: string; params?: object; query?: object; body?: unknown } = {}): Promise<unknown> {
    let url = `${options.baseUrl}${routePath(spec.path, input.params as Record<string, string> | undefined)}`;
    if (input.query) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(input.query)) if (value !== undefined) query.set(key, String(value));
      if (query.size > 0) url += `?${query}`;
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (input.body !== undefined) headers['content-type'] = 'application/json';
    const token = spec.auth ? (input.token ?? options.token?.()) : undefined;
    if (token) headers.authorization = `Bearer ${token}`;

    let res: Response;
    try {
      res = await doFetch(url, { method: spec.method, headers, body: input.body === undefined ? undefined : JSON.stringify(input.body) });
    } catch {
      throw new RestError('network', 'the server could not be reached');
    }
    const text = await res.text();
    const json = parseJson(text);
    if (res.status !== spec.status) {
      const error = errorBodySchema.safeParse(json);
      if (res.status === 401 && spec.auth) options.onUnauthorized?.();
      if (!error.success) {
        const code = res.status >= 500 ? 'unavailable' : 'internal';
        throw new RestError(code, `${spec.method} ${spec.path} answered ${res.status}`, res.status);
      }
      throw new RestError(error.data.error.code, error.data.error.message, res.status, retryAfterMs(res, json));
    }
    if (spec.response === null) return undefined;
    const parsed = spec.response.safeParse(json);
    if (!parsed.success) throw new RestError('internal', `unexpected answer from ${spec.method} ${spec.path}`, res.status);
    return parsed.data;
  }

  return Object.fromEntries(Object.entries(routes).map(([name, spec]) => [name, (input?: object) => call(spec, input)])) as RestClient;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The wait a rate-limited answer asks for: the body's `retryAfterMs`, else the `Retry-After` header (seconds). */
function retryAfterMs(res: Response, body: unknown): number | undefined {
  const inBody = (body as { error?: { retryAfterMs?: unknown } } | undefined)?.error?.retryAfterMs;
  if (typeof inBody === 'number' && Number.isFinite(inBody) && inBody >= 0) return inBody;
  const seconds = Number(res.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) * 1000 : undefined;
}
