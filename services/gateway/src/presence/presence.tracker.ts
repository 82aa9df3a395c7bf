import { onlineUserIds, redisKeys, safeError, type Logger, type RedisClient } from '@chat/runtime';
import type { UserRef } from '@chat/contract';
import { withPresenceCommands, type PresenceRedis } from './presence.scripts.js';
import { deadReplicas, sweepReplica, type SweepResult } from './presence.sweeper.js';

export interface PresenceChange {
  roomId: string;
  user: UserRef;
  status: 'online' | 'offline';
}

export interface PresenceTrackerOptions {
  redis: RedisClient;
  replicaId: string;
  logger: Logger;
  /** Heartbeat lifetime: a dead replica's presence lapses this long after its last beat. */
  ttlMs: number;
  heartbeatIntervalMs: number;
  sweepIntervalMs: number;
  sweepBatch: number;
  /** A user came online in a room (first socket anywhere) or went offline (last one). */
  onChange: (change: PresenceChange) => void;
  /**
   * Sockets of a dead replica (or an earlier run of this one) were counted out
   * of these rooms: whatever they did there (typing) ended with them. Each
   * (room, user) once per sweep; the user may still be online elsewhere.
   */
  onSwept?: (members: { roomId: string; user: UserRef }[]) => void;
  /** A dead replica's members were counted out here (`members` of them): it died without clearing its presence. */
  onDeadReplicaSwept?: (replicaId: string, members: number) => void;
  /** Usernames of swept users, whose sockets this replica never saw. */
  lookupUsers: (ids: string[]) => Promise<UserRef[]>;
}

interface Membership {
  user: UserRef;
  /** The join script's call while it runs (a leave waits for it); dropped once it succeeded. */
  joining: Promise<void> | undefined;
}

const memberId = (roomId: string, userId: string, socketId: string): string => `${roomId}|${userId}|${socketId}`;
/** One flat map entry per (socket, room), not a map per socket: idle sockets are many. Socket ids hold no `|`. */
const localKey = (socketId: string, roomId: string): string => `${socketId}|${roomId}`;
const RESOLVED = Promise.resolve();

/**
 * Writes this replica's part of cluster presence and sweeps dead replicas'.
 * Every (socket, room) pair is counted once; `join`/`leave` are idempotent.
 */
export class PresenceTracker {
  private readonly redis: PresenceRedis;
  private readonly log: Logger;
  private readonly local = new Map<string, Membership>();
  private readonly pending = new Set<Promise<unknown>>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private running = false;
  /**
   * A join or leave failed (Redis unreachable, or its reply lost after the script
   * ran): the replica set may hold members no socket has any more.
   */
  private stale = false;
  /** Our heartbeat lapsed (or its renewal failed): count every local member in again; cleared only by a complete recount. */
  private needsRecount = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: PresenceTrackerOptions) {
    this.redis = withPresenceCommands(options.redis);
    this.log = options.logger.child({ module: 'presence' });
  }

  /** Clears what an earlier run under this replica id left behind, then beats and sweeps. */
  async start(): Promise<void> {
    if (this.running || this.stopping) return;
    await this.emitSweep(await sweepReplica(this.redis, this.options.replicaId, { force: true, batch: this.options.sweepBatch }));
    await this.beat();
    this.running = true;
    this.heartbeatTimer = setInterval(() => void this.beat().catch((err) => this.log.warn({ err: safeError(err) }, 'heartbeat failed')), this.options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
    this.scheduleSweep();
  }

  /** Counts the socket in; emits `online` when it is the user's first in the room. */
  join(socketId: string, roomId: string, user: UserRef): Promise<void> {
    const key = localKey(socketId, roomId);
    const existing = this.local.get(key);
    if (existing) return existing.joining ?? RESOLVED;
    const joined = this.track(this.countIn(roomId, user, socketId));
    const membership: Membership = { user, joining: joined };
    this.local.set(key, membership);
    joined.then(
      () => {
        membership.joining = undefined;
      },
      () => {
        // Maybe not counted: forget it so a retried join counts again. The script may
        // have run with only its reply lost, so the next heartbeat counts out what no socket holds.
        this.stale = true;
        if (this.local.get(key) === membership) this.local.delete(key);
      },
    );
    return joined;
  }

  /** Counts the socket out; emits `offline` when it was the user's last in the room. */
  leave(socketId: string, roomId: string): Promise<void> {
    const key = localKey(socketId, roomId);
    const membership = this.local.get(key);
    if (!membership) return RESOLVED;
    this.local.delete(key);
    const { user } = membership;
    const joined = membership.joining?.catch(() => undefined) ?? RESOLVED;
    const left = this.track(joined.then(() => this.countOut(roomId, user, socketId)));
    left.catch(() => {
      this.stale = true;
    });
    return left;
  }

  /** Who is online in the room, on any replica. */
  online(roomId: string): Promise<Set<string>> {
    return onlineUserIds(this.options.redis, roomId);
  }

  isJoined(socketId: string, roomId: string): boolean {
    return this.local.has(localKey(socketId, roomId));
  }

  /** Stops beating and sweeping, waits for pending updates and removes what is left of this replica's presence. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      clearInterval(this.heartbeatTimer);
      clearTimeout(this.sweepTimer);
      await Promise.allSettled([...this.pending]);
      try {
        await this.emitSweep(await sweepReplica(this.redis, this.options.replicaId, { force: true, batch: this.options.sweepBatch }));
        await this.redis.del(redisKeys.replicaHeartbeat(this.options.replicaId));
      } catch (err) {
        this.log.warn({ err: safeError(err) }, 'could not clear presence at stop; survivors will sweep it');
      }
    })();
    return this.stopping;
  }

  /** One pass over the cluster's replicas: counts out those whose heartbeat expired. */
  async sweepDeadReplicas(): Promise<number> {
    let swept = 0;
    for (const replicaId of await deadReplicas(this.redis, this.options.replicaId)) {
      const result = await sweepReplica(this.redis, replicaId, { force: false, batch: this.options.sweepBatch });
      if (result.swept.length > 0) {
        this.log.info({ deadReplica: replicaId, offline: result.offline.length }, 'swept a dead replica');
        this.options.onDeadReplicaSwept?.(replicaId, result.swept.length);
      }
      swept += result.offline.length;
      await this.emitSweep(result);
    }
    return swept;
  }

  private async countIn(roomId: string, user: UserRef, socketId: string): Promise<void> {
    const count = await this.redis.chatPresenceJoin(
      redisKeys.presenceRoom(roomId),
      redisKeys.presenceReplica(this.options.replicaId),
      redisKeys.replicas,
      user.id,
      memberId(roomId, user.id, socketId),
      this.options.replicaId,
    );
    if (count === 1) this.options.onChange({ roomId, user, status: 'online' });
  }

  private async countOut(roomId: string, user: UserRef | string, socketId: string): Promise<void> {
    const userId = typeof user === 'string' ? user : user.id;
    const count = await this.redis.chatPresenceLeave(
      redisKeys.presenceRoom(roomId),
      redisKeys.presenceReplica(this.options.replicaId),
      userId,
      memberId(roomId, userId, socketId),
    );
    // A user known only by id (no longer in the database) goes offline silently.
    if (count === 0 && typeof user !== 'string') this.options.onChange({ roomId, user, status: 'offline' });
  }

  /** Counts out members of this replica's set that no local socket holds (left while Redis was unreachable). */
  private async reconcile(): Promise<void> {
    this.stale = false;
    const members = await this.redis.smembers(redisKeys.presenceReplica(this.options.replicaId));
    const orphans = members.flatMap((member) => {
      const [roomId, userId, socketId] = member.split('|');
      return roomId && userId && socketId && !this.isJoined(socketId, roomId) ? [{ roomId, userId, socketId }] : [];
    });
    if (orphans.length === 0) return;
    const users = new Map((await this.options.lookupUsers([...new Set(orphans.map((o) => o.userId))])).map((u) => [u.id, u]));
    for (const { roomId, userId, socketId } of orphans) {
      await this.countOut(roomId, users.get(userId) ?? userId, socketId);
    }
    this.log.info({ orphans: orphans.length }, 'counted out presence left behind by failed leaves');
  }

  private async beat(): Promise<void> {
    const { replicaId, ttlMs } = this.options;
    let existed: number;
    try {
      existed = await this.redis.chatPresenceHeartbeat(redisKeys.replicaHeartbeat(replicaId), redisKeys.replicas, ttlMs, replicaId, new Date().toISOString());
    } catch (err) {
      // It may have lapsed meanwhile, and a renewal whose reply was lost hides that from the next beat.
      if (this.running) this.needsRecount = true;
      throw err;
    }
    // The first beat at start finds none: start() cleared this replica's presence.
    if (existed === 0 && this.running) this.needsRecount = true;
    if (this.needsRecount && this.running) {
      // Our heartbeat lapsed (a Redis stall or a long pause): survivors may have swept
      // our members, so count every local one in again (the scripts skip those still
      // counted). A failure leaves the flag set, so the next beat starts over.
      this.log.warn('heartbeat lapsed or unconfirmed; recounting local presence');
      for (const [key, { user }] of this.local) {
        const split = key.indexOf('|');
        await this.track(this.countIn(key.slice(split + 1), user, key.slice(0, split)));
      }
      this.needsRecount = false;
    }
    if (this.stale && this.running) {
      await this.reconcile().catch((err: unknown) => {
        this.stale = true;
        throw err;
      });
    }
  }

  private scheduleSweep(): void {
    if (!this.running) return;
    const jitter = 0.75 + Math.random() * 0.5;
    this.sweepTimer = setTimeout(() => {
      void this.sweepDeadReplicas()
        .catch((err) => this.log.warn({ err: safeError(err) }, 'presence sweep failed'))
        .finally(() => this.scheduleSweep());
    }, this.options.sweepIntervalMs * jitter);
    this.sweepTimer.unref();
  }

  private async emitSweep({ offline, swept }: SweepResult): Promise<void> {
    if (swept.length === 0 && offline.length === 0) return;
    let users: Map<string, UserRef>;
    try {
      const ids = new Set([...offline, ...swept].map((d) => d.userId));
      users = new Map((await this.options.lookupUsers([...ids])).map((u) => [u.id, u]));
    } catch (err) {
      // The counts are already right; only the events are lost (clients re-read presence on join).
      this.log.warn({ err: safeError(err), drops: offline.length }, 'could not name swept users; offline events skipped');
      return;
    }
    for (const { roomId, userId } of offline) {
      const user = users.get(userId);
      if (user) this.options.onChange({ roomId, user, status: 'offline' });
    }
    this.options.onSwept?.(swept.flatMap(({ roomId, userId }) => {
      const user = users.get(userId);
      return user ? [{ roomId, user }] : [];
    }));
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    const done = (): void => void this.pending.delete(promise);
    promise.then(done, done);
    return promise;
  }
}
