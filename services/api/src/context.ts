import type { Emitter } from '@socket.io/redis-emitter';
import type { ParameterizedContext } from 'koa';
import type { RouterContext } from '@koa/router';
import type { Redis } from 'ioredis';
import type { ServerToClientEvents } from '@chat/contract';
import type { ApiConfig, Logger, VerifiedToken } from '@chat/runtime';
import type { Orm, Store } from '@chat/store';

/** Broadcasts into Socket.IO rooms on every gateway through Redis. */
export type ChatEmitter = Emitter<ServerToClientEvents>;

/** What `createApi` needs; the caller creates these and closes them. */
export interface ApiDeps {
  config: ApiConfig;
  orm: Orm;
  redis: Redis;
  logger: Logger;
  /** @default an emitter on `redis` with the adapter's default key, whose failed publishes are logged */
  emitter?: ChatEmitter;
}

/** The dependencies every feature module receives. */
export interface ApiServices {
  config: ApiConfig;
  store: Store;
  redis: Redis;
  logger: Logger;
  emitter: ChatEmitter;
}

export interface ApiState {
  /** Raw claims, set by koa-jwt. */
  jwt?: unknown;
  /** The verified token, set by `requireAuth`. */
  auth?: VerifiedToken;
}

export type ApiContext = ParameterizedContext<ApiState>;
export type ApiRouterContext = RouterContext<ApiState>;
