import type { CommandQueues, GatewayConfig, Logger } from '@chat/runtime';
import type { Knex } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { CommitQueue } from './messages/commit-queue.js';
import type { MessageFanout } from './messages/message.fanout.js';
import type { GatewayMetrics } from './metrics.js';
import type { PresenceTracker } from './presence/presence.tracker.js';
import type { SendLimits } from './ratelimit/rate-limits.js';
import type { RoomRepository } from './rooms/room.repository.js';
import type { TypingTracker } from './typing/typing.tracker.js';

/** What the event handlers share within one gateway. */
export interface GatewayContext {
  config: GatewayConfig;
  knex: Knex;
  redis: Redis;
  rooms: RoomRepository;
  presence: PresenceTracker;
  typing: TypingTracker;
  commits: CommitQueue;
  /** Delivers stored messages to this replica's sockets in seq order. */
  fanout: MessageFanout;
  limits: SendLimits;
  queues: CommandQueues;
  metrics: GatewayMetrics;
  logger: Logger;
}
