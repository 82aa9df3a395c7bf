import type { ParameterizedContext } from 'koa';
import type { RouterContext } from '@koa/router';
import type { ApiConfig, Logger, RedisClient, Registry, Revocations, VerifiedToken } from '@chat/runtime';
import type { Orm, Store } from '@chat/store';

/** What `createApi` needs; the caller creates these and closes them. */
export interface ApiDeps {
  config: ApiConfig;
  orm: Orm;
  /** Commands, and the room and control channels the gateways read. */
  redis: RedisClient;
  logger: Logger;
}

/** The dependencies every feature module receives. */
export interface ApiServices {
  config: ApiConfig;
  store: Store;
  redis: RedisClient;
  /** The logout denylist and deleted accounts (Redis, backed by PostgreSQL). */
  revocations: Revocations;
  logger: Logger;
  /** The API's metrics (features add their own). */
  registry: Registry;
}

export interface ApiState {
  /** Raw claims, set by koa-jwt. */
  jwt?: unknown;
  /** The verified token, set by `requireAuth`. */
  auth?: VerifiedToken;
}

export type ApiContext = ParameterizedContext<ApiState>;
export type ApiRouterContext = RouterContext<ApiState>;
