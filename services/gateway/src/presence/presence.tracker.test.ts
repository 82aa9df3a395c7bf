import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createRedis, onlineUserIds, redisKeys, type RedisClient } from '@chat/runtime';
import type { UserRef } from '@chat/contract';
import { sleep, startRedis, waitFor, type RedisServer } from '@chat/testkit';
import { PresenceTracker, type PresenceChange, type PresenceTrackerOptions } from './presence.tracker.js';

let server: RedisServer;
let redis: RedisClient;
const users = new Map<string, UserRef>();
const logger = createLogger({ service: 'test', level: 'silent' });

const user = (name: string): UserRef => {
  const u = { id: randomUUID(), username: name };
  users.set(u.id, u);
  return u;
};

type Swept = Parameters<NonNullable<PresenceTrackerOptions['onSwept']>>[0];

function tracker(replicaId: string, changes: PresenceChange[], options: Partial<PresenceTrackerOptions> = {}): PresenceTracker {
  return new PresenceTracker({
    redis,
    replicaId,
    logger,
    ttlMs: 10_000,
    heartbeatIntervalMs: 3_000,
    sweepIntervalMs: 60_000,
    sweepBatch: 7,
    onChange: (change) => changes.push(change),
    lookupUsers: async (ids) => ids.flatMap((id) => users.get(id) ?? []),
    ...options,
  });
}

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

describe('presence tracker', () => {
  it('emits online for a user’s first socket in a room on any replica and offline for the last', async () => {
    const changes: PresenceChange[] = [];
    const [a, b] = [tracker(`a-${randomUUID()}`, changes), tracker(`b-${randomUUID()}`, changes)];
    const alice = user('alice');
    const room = randomUUID();
    await a.join('s1', room, alice);
    await b.join('s2', room, alice);
    await a.join('s1', room, alice);
    expect(changes).toEqual([{ roomId: room, user: alice, status: 'online' }]);
    expect(await redis.hget(redisKeys.presenceRoom(room), alice.id)).toBe('2');
    await a.leave('s1', room);
    await a.leave('s1', room);
    expect(changes).toHaveLength(1);
    expect(await onlineUserIds(redis, room)).toEqual(new Set([alice.id]));
    await b.leave('s2', room);
    expect(changes.at(-1)).toEqual({ roomId: room, user: alice, status: 'offline' });
    expect(await redis.exists(redisKeys.presenceRoom(room))).toBe(0);
  });

  it('lets survivors sweeping a dead replica at once count each member out exactly once', async () => {
    const changes: PresenceChange[] = [];
    const swept: Swept = [];
    const deadId = `dead-${randomUUID()}`;
    // Never started, so it has no heartbeat: to the others it is a replica that died.
    const dead = tracker(deadId, []);
    const live = tracker(`live-${randomUUID()}`, []);
    await live.start();
    const rooms = [randomUUID(), randomUUID(), randomUUID()];
    const people = Array.from({ length: 8 }, (_, i) => user(`u${i}`));
    for (const room of rooms) {
      for (const [i, person] of people.entries()) {
        await dead.join(`d-${i}-a`, room, person);
        await dead.join(`d-${i}-b`, room, person);
      }
    }
    const stayer = people[0]!;
    await live.join('live-socket', rooms[0]!, stayer);

    const survivors = Array.from({ length: 4 }, (_, i) => tracker(`s${i}-${randomUUID()}`, changes, { onSwept: (members) => swept.push(...members) }));
    await Promise.all(survivors.map((s) => s.sweepDeadReplicas()));

    const expected = rooms.flatMap((room) => people.filter((p) => !(p === stayer && room === rooms[0])).map((p) => `${room}|${p.id}`));
    expect(changes.map((c) => `${c.roomId}|${c.user.id}`).sort()).toEqual(expected.sort());
    expect(changes.every((c) => c.status === 'offline')).toBe(true);
    expect(await onlineUserIds(redis, rooms[0]!)).toEqual(new Set([stayer.id]));
    expect(await redis.hget(redisKeys.presenceRoom(rooms[0]!), stayer.id)).toBe('1');
    // Every (room, user) the dead sockets were in is named, the stayer (still online) too: their typing ended.
    const everyPair = rooms.flatMap((room) => people.map((p) => `${room}|${p.id}`)).sort();
    expect([...new Set(swept.map((m) => `${m.roomId}|${m.user.id}`))].sort()).toEqual(everyPair);
    expect(swept.every((m) => users.get(m.user.id) === m.user)).toBe(true);
    expect(await redis.exists(redisKeys.presenceReplica(deadId))).toBe(0);
    expect(await redis.sismember(redisKeys.replicas, deadId)).toBe(0);
    await live.stop();
  });

  it('leaves a replica with a live heartbeat alone', async () => {
    const alive = tracker(`alive-${randomUUID()}`, []);
    await alive.start();
    const room = randomUUID();
    const bob = user('bob');
    await alive.join('s', room, bob);
    expect(await tracker(`other-${randomUUID()}`, []).sweepDeadReplicas()).toBe(0);
    expect(await onlineUserIds(redis, room)).toEqual(new Set([bob.id]));
    await alive.stop();
    expect(await onlineUserIds(redis, room)).toEqual(new Set());
  });

  it('recounts its members when its own heartbeat lapsed and survivors swept them', async () => {
    const changes: PresenceChange[] = [];
    const slow = tracker(`slow-${randomUUID()}`, changes, { ttlMs: 300, heartbeatIntervalMs: 1_200 });
    await slow.start();
    const room = randomUUID();
    const carol = user('carol');
    await slow.join('s', room, carol);
    const sweeper = tracker(`sweeper-${randomUUID()}`, changes);
    const inRoom = (): string[] => changes.filter((c) => c.roomId === room).map((c) => c.status);
    await waitFor('the heartbeat to lapse and a survivor to sweep', async () => {
      await sweeper.sweepDeadReplicas();
      return inRoom().length === 2;
    }, 5_000);
    expect(inRoom()).toEqual(['online', 'offline']);
    await waitFor('the recount at the next beat', () => inRoom().length === 3, 5_000);
    expect(inRoom()).toEqual(['online', 'offline', 'online']);
    expect(await redis.hget(redisKeys.presenceRoom(room), carol.id)).toBe('1');
    await slow.stop();
  });

  it('clears at start what an earlier run under the same replica id left behind', async () => {
    const changes: PresenceChange[] = [];
    const replicaId = `restarted-${randomUUID()}`;
    const room = randomUUID();
    const dave = user('dave');
    await tracker(replicaId, []).join('old-socket', room, dave);
    const restarted = tracker(replicaId, changes);
    await restarted.start();
    expect(changes).toEqual([{ roomId: room, user: dave, status: 'offline' }]);
    expect(await redis.exists(redisKeys.presenceReplica(replicaId))).toBe(0);
    await restarted.stop();
    expect(await redis.exists(redisKeys.replicaHeartbeat(replicaId))).toBe(0);
  });

  it('counts out, at the next heartbeat, a member whose leave failed while Redis was unreachable', async () => {
    const changes: PresenceChange[] = [];
    const own = createRedis(server.url);
    const flaky = tracker(`flaky-${randomUUID()}`, changes, { redis: own, heartbeatIntervalMs: 150 });
    await flaky.start();
    const room = randomUUID();
    const erin = user('erin');
    await flaky.join('s', room, erin);
    own.disconnect();
    await expect(flaky.leave('s', room)).rejects.toThrow();
    expect(await redis.hget(redisKeys.presenceRoom(room), erin.id)).toBe('1');
    await own.connect();
    await waitFor('the reconcile', async () => (await redis.hexists(redisKeys.presenceRoom(room), erin.id)) === 0, 5_000);
    expect(changes.filter((c) => c.roomId === room)).toEqual([
      { roomId: room, user: erin, status: 'online' },
      { roomId: room, user: erin, status: 'offline' },
    ]);
    await flaky.stop();
    own.disconnect();
  });

  it('counts out, at the next heartbeat, a member whose join ran in Redis but whose reply was lost', async () => {
    const changes: PresenceChange[] = [];
    const own = createRedis(server.url, { commandTimeout: 300 });
    const lossyId = `lossy-${randomUUID()}`;
    const lossy = tracker(lossyId, changes, { redis: own, heartbeatIntervalMs: 150 });
    await lossy.start();
    const room = randomUUID();
    const frank = user('frank');
    // A stopped Redis keeps the script in its socket buffer; the client gives up on the reply.
    server.process.kill('SIGSTOP');
    try {
      await expect(lossy.join('s', room, frank)).rejects.toThrow(/timed out/);
    } finally {
      server.process.kill('SIGCONT');
    }
    expect(lossy.isJoined('s', room)).toBe(false);
    await waitFor('the orphan counted out', async () => (await redis.hexists(redisKeys.presenceRoom(room), frank.id)) === 0 && (await redis.scard(redisKeys.presenceReplica(lossyId))) === 0, 5_000);
    // Counted in by the script that ran, then out: the count is back to nothing.
    expect(await onlineUserIds(redis, room)).toEqual(new Set());
    await lossy.stop();
    own.disconnect();
  });

  it('finishes, at a later heartbeat, a recount that a failure interrupted', async () => {
    const changes: PresenceChange[] = [];
    const replicaId = `interrupted-${randomUUID()}`;
    const name = `tracker_${randomUUID().slice(0, 8)}`;
    const ownKeys = ['~presence:{presence}:alive:*', '~presence:{presence}:replicas', '~presence:{presence}:replica:*'];
    // Its own Redis user: allowed its heartbeat and replica set, and the room hashes only when granted.
    await redis.call('ACL', 'SETUSER', name, 'on', '>secret', ...ownKeys, '~presence:{presence}:room:*', '+@all');
    const own = createRedis(server.url.replace('redis://', `redis://${name}:secret@`));
    const interrupted = tracker(replicaId, changes, { redis: own, heartbeatIntervalMs: 400 });
    try {
      await interrupted.start();
      const room = randomUUID();
      const gina = user('gina');
      await interrupted.join('s', room, gina);
      const inRoom = (): string[] => changes.filter((c) => c.roomId === room).map((c) => c.status);
      await redis.call('ACL', 'SETUSER', name, 'resetkeys', ...ownKeys);
      // Its heartbeat lapses (deleted here), and a survivor sweeps its members.
      const sweeper = tracker(`sweeper-${randomUUID()}`, changes);
      await waitFor('a survivor to sweep', async () => {
        await redis.del(redisKeys.replicaHeartbeat(replicaId));
        await sweeper.sweepDeadReplicas();
        return inRoom().length === 2;
      }, 5_000);
      // The next beat renews the heartbeat, and its recount fails on the room's hash.
      await waitFor('the heartbeat renewed', async () => (await redis.exists(redisKeys.replicaHeartbeat(replicaId))) === 1, 5_000);
      await sleep(1_000);
      expect(inRoom()).toEqual(['online', 'offline']);
      await redis.call('ACL', 'SETUSER', name, '~presence:{presence}:room:*');
      await waitFor('the recount to finish', () => inRoom().length === 3, 5_000);
      expect(inRoom()).toEqual(['online', 'offline', 'online']);
      expect(await redis.hget(redisKeys.presenceRoom(room), gina.id)).toBe('1');
    } finally {
      await interrupted.stop();
      own.disconnect();
      await redis.call('ACL', 'DELUSER', name);
    }
  });
});
