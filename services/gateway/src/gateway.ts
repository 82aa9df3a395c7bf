import type { Server as HttpServer } from 'node:http';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import type { Ack } from '@chat/contract';
import {
  chatRoom,
  createRegistry,
  Revocations,
  redisKeys,
  runStopSteps,
  safeError,
  statusListener,
  userRoom,
  withTimeout,
  ShardedSubscriptions,
  type CommandQueues,
  type GatewayConfig,
  type Logger,
  type RedisClient,
  type Registry,
  type ShardedSubscriber,
} from '@chat/runtime';
import { createStore, type Orm } from '@chat/store';
import { handshakeAuth } from './auth/handshake.js';
import { LiveAccounts } from './auth/live-accounts.js';
import { SocketQuota } from './auth/socket-quota.js';
import { createCommandRunner } from './commands/command.handler.js';
import { messageEventListeners } from './messages/message.handlers.js';
import { createMessagePath } from './messages/message.path.js';
import { createGatewayMetrics } from './metrics.js';
import { resolveGatewayOptions, type GatewayOptions } from './options.js';
import { PresenceTracker } from './presence/presence.tracker.js';
import { createSendLimits } from './ratelimit/rate-limits.js';
import { roomEventListeners } from './rooms/room.handlers.js';
import { CursorWriter } from './reads/cursor.writer.js';
import { ReadBroadcast } from './reads/read.broadcast.js';
import { readEventListeners, readOnSend } from './reads/read.handlers.js';
import { PendingAnswers, type AckContext } from './socket/ack.js';
import { coalesceWebSocketWrites } from './socket/coalesce-writes.js';
import { socketSetup } from './socket/connection.js';
import { gateNewSessions } from './socket/new-session-gate.js';
import { originGuard } from './socket/origin.js';
import { rawJsonParser } from './socket/raw-json.js';
import { sessionIdGenerator } from './socket/session-id.js';
import type { ClientEvent, GatewayServer } from './socket/types.js';
import { controlListener } from './sessions/control.listener.js';
import { TypingTracker } from './typing/typing.tracker.js';

export interface GatewayDeps {
  config: GatewayConfig;
  orm: Orm;
  /** Commands (presence, rate limits, token denylist), the adapter's and the message path's publishing. */
  redis: RedisClient;
  /** The adapter's and the room and control channels' sharded subscriptions: a connection of its own. */
  subscriber: ShardedSubscriber;
  /** Where commands become jobs for the bot workers. */
  queues: CommandQueues;
  logger: Logger;
  /** @default a registry of its own with Node's default metrics */
  registry?: Registry;
}

export interface Gateway {
  io: GatewayServer;
  replicaId: string;
  registry: Registry;
  /** Subscribes to the control channel, clears stale presence of an earlier run under this replica id and starts heartbeat and sweeps. Call before listening. */
  start(): Promise<void>;
  /**
   * Stops accepting sessions, commits the sends already accepted, closes every
   * socket (clients reconnect to another replica), removes this replica's
   * presence, closes the HTTP server and the store it made. Idempotent. The caller closes the deps.
   */
  stop(): Promise<void>;
}

/** Socket.IO on `httpServer`, plus /health, /health/ready and /metrics on the same server. Wiring only: each feature lives in its folder. */
export function createGateway(httpServer: HttpServer, deps: GatewayDeps, gatewayOptions: GatewayOptions = {}): Gateway {
  const { config, redis, queues } = deps;
  const options = resolveGatewayOptions(gatewayOptions, config.presenceTtl);
  // Components add their own `module`; the replica id is bound once (main may have done it).
  const base = deps.logger.bindings().replicaId === undefined ? deps.logger.child({ replicaId: config.replicaId }) : deps.logger;
  const logger = base.child({ module: 'gateway' });
  const registry = deps.registry ?? createRegistry('gateway');
  // Group commits in flight, and a few reads (catch-up, a missing seq, a retried clientId) beside them.
  const store = createStore(deps.orm, { messagePoolMax: options.maxConcurrentCommits + 2 });
  let accepting = true;
  let stopping: Promise<void> | undefined;
  const answers = new PendingAnswers(options.ackTimeoutMs);

  // Registered before Socket.IO attaches, which then hands it every non-/socket.io request.
  let io: GatewayServer | undefined;
  const connectedSockets = (): number => io?.of('/').sockets.size ?? 0;
  httpServer.on(
    'request',
    statusListener({
      service: 'gateway',
      registry,
      logger: base,
      isStopping: () => stopping !== undefined,
      details: () => ({ replicaId: config.replicaId, sockets: connectedSockets() }),
      checks: { redis: () => redis.ping(), postgres: () => store.ping() },
    }),
  );

  coalesceWebSocketWrites();
  const server: GatewayServer = new Server(httpServer, {
    path: options.path,
    serveClient: false,
    maxHttpBufferSize: config.maxHttpBufferSize,
    pingInterval: options.pingIntervalMs,
    pingTimeout: options.pingTimeoutMs,
    cors: { origin: config.corsOrigins.includes('*') ? true : config.corsOrigins, credentials: true },
    allowRequest: originGuard(config.corsOrigins),
    // Stored messages go out as the JSON text PostgreSQL wrote (socket/raw-json.ts).
    parser: rawJsonParser,
    // Sharded pub/sub, a channel per room (dynamic): a broadcast into a room reaches only the replicas that hold it.
    adapter: createShardedAdapter(redis, deps.subscriber, { channelPrefix: redisKeys.adapterPrefix, subscriptionMode: 'dynamic' }),
  });
  io = server;
  gateNewSessions(httpServer, options.path, () => accepting);
  server.engine.generateId = sessionIdGenerator(config.replicaId);
  server.engine.on('connection_error', (err: { code?: number; message?: string }) => {
    // Engine.IO's code 4 (Forbidden) is allowRequest's refusal: an origin not allowed.
    if (err.code === 4) metrics.handshakeRefusals.inc({ reason: 'origin' });
    logger.debug({ code: err.code, reason: err.message }, 'engine refused a request');
  });
  const adapter = server.of('/').adapter;
  adapter.on('error', (err: unknown) => logger.error({ err: safeError(err) }, 'adapter error'));
  for (const queue of [queues.stock, queues.ai]) {
    queue.on('error', (err) => logger.error({ err: safeError(err), queue: queue.name }, 'queue error'));
  }

  // The message path is made below; the gauge reads it when scraped.
  const metrics = createGatewayMetrics(registry, connectedSockets, () => messages.pending, () => subscriptions.size);
  const typingBroadcast = (roomId: string, user: { id: string; username: string }, isTyping: boolean): void => {
    server.to(chatRoom(roomId)).except(userRoom(user.id)).emit('typing', { roomId, user, isTyping });
  };
  const limits = createSendLimits(redis, {
    messagesPerMinute: config.messageLimit,
    commandsPerMinute: config.commandLimit,
    onRefused: (kind) => metrics.rateLimitRefusals.inc({ kind }),
  });
  const subscriptions = new ShardedSubscriptions(deps.subscriber);
  const control = controlListener({
    server,
    subscriptions,
    logger: base,
    // A deleted account is not taken as live from the cache any more.
    onUserDeleted: (userId) => accounts.forget(userId),
  });
  const messages = createMessagePath({
    server,
    store,
    limits,
    publisher: redis,
    subscriptions,
    logger: base,
    replicaId: config.replicaId,
    onBatch: (size) => metrics.commitBatchSize.observe(size),
    onDelivered: (count) => metrics.delivered.inc(count),
    onRoomPayload: (self) => metrics.roomPayloads.inc({ from: self ? 'self' : 'other' }),
    commitDelayMs: config.commitDelayMs,
    maxBatchSize: options.maxBatchSize,
    maxConcurrentCommits: options.maxConcurrentCommits,
    gapTimeoutMs: options.gapTimeoutMs,
  });
  const presence = new PresenceTracker({
    redis,
    replicaId: config.replicaId,
    logger: base,
    ttlMs: config.presenceTtl * 1000,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    sweepIntervalMs: options.sweepIntervalMs,
    sweepBatch: options.sweepBatch,
    // Events name users by {id, username} only.
    lookupUsers: async (ids) => (await store.users.findByIds(ids)).map(({ id, username }) => ({ id, username })),
    onChange: ({ roomId, user, status }) => {
      metrics.presenceChanges.inc({ status });
      server.to(chatRoom(roomId)).emit('presence', { roomId, user, status });
    },
    // A dead replica's typists can no longer lapse there: end their typing for the room's others.
    onSwept: (members) => {
      for (const { roomId, user } of members) typingBroadcast(roomId, user, false);
    },
    onDeadReplicaSwept: () => metrics.deadReplicaSweeps.inc(),
  });
  const typing = new TypingTracker({ ttlMs: options.typingTtlMs, broadcast: typingBroadcast });
  const cursors = new CursorWriter(store.reads, base, { onWritten: (count) => metrics.cursorWrites.inc(count) });
  const readBroadcast = new ReadBroadcast(server);

  // Every way a socket leaves a chat room (room:leave, disconnect, a remote socketsLeave) ends its typing and presence there.
  const chatRoomPrefix = chatRoom('');
  adapter.on('leave-room', (room: string, socketId: string) => {
    if (!room.startsWith(chatRoomPrefix)) return;
    const roomId = room.slice(chatRoomPrefix.length);
    typing.stop(socketId, roomId);
    presence.leave(socketId, roomId).catch((err: unknown) => {
      logger.warn({ err: safeError(err), socketId, roomId }, 'presence leave failed; the sweep at stop or by survivors clears it');
    });
  });

  server.use((socket, next) => {
    if (accepting) return next();
    // An Engine.IO session opened just before the stop: a connect_error would not be retried by
    // socket.io-client, so close the transport instead and the client reconnects (through nginx, elsewhere).
    socket.conn.close();
    next(new Error('unavailable'));
  });
  const revocations = new Revocations({ redis, load: (within) => store.revocations.active(within), tokenTtlSeconds: config.jwtTtl });
  const accounts = new LiveAccounts((userId) => store.users.findById(userId));
  const quota = new SocketQuota({ redis, maxPerUser: config.maxSocketsPerUser, renewIntervalMs: options.socketQuotaRenewMs });
  server.use(
    handshakeAuth({
      jwtSecret: config.jwtSecret,
      revocations,
      accounts,
      quota,
      logger: base,
      onRefused: (reason) => metrics.handshakeRefusals.inc({ reason }),
    }),
  );

  const ack: AckContext = { logger: base.child({ module: 'socket' }), onAnswered: observeSend, answers };
  const sockets = socketSetup({
    events: [
      ...roomEventListeners(ack, { rooms: store.rooms, users: store.users, messages, presence, reactions: store.reactions }),
      ...readEventListeners(ack, { server, delivered: (roomId) => messages.delivered(roomId), reads: store.reads, reactions: store.reactions, cursors, broadcast: readBroadcast, limits }),
      ...messageEventListeners(ack, {
        messages,
        typing,
        runCommand: createCommandRunner({ queues, limits, rooms: store.rooms, logger: base }),
        onSent: (socket, roomId, seq) => readOnSend(cursors, socket, roomId, seq),
      }),
    ],
    recheck: (tokenId, userId) => revocations.check(tokenId, userId),
    onDisconnected: (socket) => {
      quota.release(socket.data.user.id, socket.id).catch((err: unknown) => {
        logger.debug({ err: safeError(err), socketId: socket.id }, 'socket place not given back; it lapses');
      });
    },
    logger: base,
  });
  server.on('connection', (socket) => sockets.onConnection(socket));

  function observeSend(event: ClientEvent, response: Ack, startedAt: bigint): void {
    if (event !== 'message:send') return;
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const kind = !response.ok ? 'unknown' : 'command' in response ? 'command' : 'message';
    metrics.sendDuration.observe({ kind, outcome: response.ok ? 'ok' : response.error.code }, seconds);
  }

  /** Closes every transport (no DISCONNECT packet, so clients reconnect), each after its buffered packets (acks) went out. */
  const closeTransports = async (): Promise<void> => {
    const closed = [...server.of('/').sockets.values()].map(
      ({ conn }) =>
        new Promise<void>((resolve) => {
          if (conn.readyState === 'closed') return resolve();
          conn.once('close', () => resolve());
          conn.close();
        }),
    );
    await withTimeout(Promise.all(closed), options.shutdownStepTimeoutMs).catch(() => logger.warn('some transports did not drain in time'));
    await server.close();
  };

  return {
    io: server,
    replicaId: config.replicaId,
    registry,
    start: async () => {
      await Promise.all([control.start(), presence.start()]);
      quota.start();
    },
    stop: () =>
      (stopping ??= (async () => {
        accepting = false;
        logger.info({ sockets: connectedSockets(), pendingEvents: answers.size, pendingSends: messages.pending }, 'stopping');
        await runStopSteps(
          [
            // The sockets stay served meanwhile: events under way are answered (their sends committed) before the close.
            { name: 'answer events under way', run: () => answers.settled() },
            { name: 'flush sends', run: () => messages.flush() },
            { name: 'answer the last sends', run: () => answers.settled() },
            // Clients reconnect, through nginx, to another replica.
            { name: 'close sockets', run: closeTransports },
            { name: 'end typing', run: () => typing.stopAll() },
            // Last of what the sockets did: their read cursors, before the store closes.
            {
              name: 'write read cursors',
              run: () => {
                readBroadcast.flush();
                return cursors.flush();
              },
            },
            {
              name: 'stop token expiry and ack deadlines',
              run: () => {
                sockets.stop();
                answers.stop();
                quota.stop();
                cursors.stop();
              },
            },
            { name: 'stop message delivery', run: () => messages.stop() },
            { name: 'leave the channels', run: () => subscriptions.close() },
            { name: 'clear presence', run: () => presence.stop() },
            { name: 'close connections', run: () => httpServer.closeAllConnections() },
            { name: 'close the message store', run: () => store.close() },
          ],
          { logger, stepTimeoutMs: options.shutdownStepTimeoutMs },
        );
        logger.info('stopped');
      })()),
  };
}
