import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, redisKeys, type RedisClient } from '@chat/runtime';
import { createOrm, type Orm } from '@chat/store';
import type { AuthResponse } from '@chat/contract';
import { sleep, waitFor } from '@chat/testkit';
import { call, closeAll, connect, Inbox, ok, replicaOf, type ChatSocket } from '../../services/gateway/test/support/client.js';
import { ResilientClient } from './support/resilient-client.js';
import { expectNothingAcknowledgedLost } from './support/acked.js';
import { startChatCluster, type ChatCluster } from './support/cluster.js';

/** The contract: a dead replica's users go offline within 15 s. */
const PRESENCE_LAPSE_LIMIT_MS = 15_000;

let chat: ChatCluster;
let redis: RedisClient;
/** The test's own PostgreSQL connections, without session timeouts, to hold locks. */
let locker: Orm;
const sockets: ChatSocket[] = [];
const clients: ResilientClient[] = [];
const track = (socket: ChatSocket): ChatSocket => {
  sockets.push(socket);
  return socket;
};

async function roomWith(users: AuthResponse[]): Promise<string> {
  const [owner, ...rest] = users;
  const room = await chat.rest.createRoom(owner!.token);
  for (const u of rest) await chat.rest.joinRoom(u.token, room.id);
  return room.id;
}

const lockWaiters = async (): Promise<number> => {
  const { rows } = await locker.em
    .getKnex()
    .raw<{ rows: { n: string }[] }>(`select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`);
  return Number(rows[0]?.n);
};

beforeAll(async () => {
  chat = await startChatCluster(3);
  redis = createRedis(chat.cluster.redisTarget);
  locker = await createOrm({ databaseUrl: chat.cluster.gateways[0]!.env.DATABASE_URL!, poolMax: 2, statementTimeoutMs: 0, idleInTransactionTimeoutMs: 0 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  closeAll(sockets);
  await redis?.quit();
  await locker?.close(true);
  await chat?.stop();
});

describe('a gateway killed with SIGKILL', () => {
  it('lets its users go offline and stop typing within 15 s while its clients reconnect through nginx and lose nothing acknowledged', async () => {
    const [watcherUser, gone, mover] = await Promise.all(['watcher', 'gone', 'mover'].map((n) => chat.rest.register(n)));
    const roomId = await roomWith([watcherUser!, gone!, mover!]);
    const [gw1, , gw3] = chat.replicaIds as [string, string, string];
    const watcherSocket = track(await chat.connectTo(gw1, watcherUser!.token));
    const watcher = new Inbox(watcherSocket);
    ok(await call(watcherSocket, 'room:join', { roomId }));
    // `gone` does not reconnect: only the sweep can take it offline.
    const goneSocket = track(await chat.connectTo(gw3, gone!.token));
    ok(await call(goneSocket, 'room:join', { roomId }));
    // `mover` is on the doomed replica too, sending all along, and reconnects.
    let client: ResilientClient | undefined;
    while (!client) {
      const candidate = new ResilientClient(chat.url, mover!.token, roomId);
      await candidate.joined(1);
      if (candidate.sessions[0] === gw3) client = candidate;
      else candidate.close();
    }
    clients.push(client);
    const moverEvents = (): string[] => watcher.presence.filter((p) => p.user.id === mover!.user.id).map((p) => p.status);
    // Candidates that landed elsewhere came and went; the chosen one is online last.
    await watcher.waitFor('mover online', () => moverEvents().at(-1) === 'online');
    const moverMark = moverEvents().length;
    const sending = client.sendContinuously('kill');
    await sleep(500);
    // `gone` is typing when its replica dies: that replica's 5 s lapse will never run.
    const goneTyping = (): boolean[] => watcher.typing.filter((t) => t.user.id === gone!.user.id).map((t) => t.isTyping);
    ok(await call(goneSocket, 'typing', { roomId, isTyping: true }));
    await watcher.waitFor('gone typing', () => goneTyping().length === 1);

    const killedAt = Date.now();
    await chat.cluster.gateways[2]!.kill();
    await watcher.waitFor('gone offline', () => watcher.presence.some((p) => p.user.id === gone!.user.id && p.status === 'offline'), PRESENCE_LAPSE_LIMIT_MS + 5_000);
    const lapse = Date.now() - killedAt;
    console.info(`presence of a SIGKILLed replica's user lapsed after ${lapse} ms`);
    expect(lapse).toBeLessThanOrEqual(PRESENCE_LAPSE_LIMIT_MS);
    // The survivor that swept `gone` ended its typing too.
    await watcher.waitFor('gone stopped typing', () => goneTyping().length === 2, 5_000);
    expect(goneTyping()).toEqual([true, false]);
    expect(watcher.typing.filter((t) => t.user.id === gone!.user.id).at(-1)).toEqual({ roomId, user: { id: gone!.user.id, username: gone!.user.username }, isTyping: false });

    await client.joined(2);
    expect(client.sessions[1]).not.toBe(gw3);
    await sleep(500);
    client.stop();
    await sending;
    expect(client.acked.length).toBeGreaterThan(5);
    // The mover came back on a survivor: still online, never announced offline.
    expect(moverEvents().slice(moverMark)).toEqual([]);
    const details = await chat.rest.room(watcherUser!.token, roomId);
    expect(Object.fromEntries(details.members.map((m) => [m.username, m.online]))).toMatchObject({ [gone!.user.username]: false, [mover!.user.username]: true });
    expect(await redis.sismember(redisKeys.replicas, gw3)).toBe(0);

    const watcherSeen = new Map(watcher.messagesIn(roomId).map((m) => [m.seq, m]));
    await expectNothingAcknowledgedLost(chat.rest, watcherUser!.token, roomId, client.acked, [client.seen, watcherSeen]);
  });
});

describe('a gateway stopped with SIGTERM', () => {
  it('answers every send it holds, sends new sessions elsewhere, clears its presence at once and moves its clients', async () => {
    const [watcherUser, leaver, mover] = await Promise.all(['watcher2', 'leaver', 'mover2'].map((n) => chat.rest.register(n)));
    const roomId = await roomWith([watcherUser!, leaver!, mover!]);
    const [gw1, gw2] = chat.replicaIds as [string, string];
    const watcherSocket = track(await chat.connectTo(gw1, watcherUser!.token));
    const watcher = new Inbox(watcherSocket);
    ok(await call(watcherSocket, 'room:join', { roomId }));
    const leaverSocket = track(await chat.connectTo(gw2, leaver!.token));
    ok(await call(leaverSocket, 'room:join', { roomId }));
    let client: ResilientClient | undefined;
    while (!client) {
      const candidate = new ResilientClient(chat.url, mover!.token, roomId);
      await candidate.joined(1);
      if (candidate.sessions[0] === gw2) client = candidate;
      else candidate.close();
    }
    clients.push(client);

    const reasons: string[] = [];
    leaverSocket.on('disconnect', (reason) => reasons.push(reason));

    // Sends in flight at the signal: their commit waits behind a lock on the room's row.
    const gateway = chat.cluster.gateways[1]!;
    const lock = await locker.em.getKnex().transaction();
    let released = false;
    const release = async (): Promise<void> => {
      if (!released) await lock.rollback();
      released = true;
    };
    try {
      await lock.raw('select id from rooms where id = ? for update', [roomId]);
      const burst = Array.from({ length: 5 }, (_, i) =>
        call(client!.socket, 'message:send', { roomId, content: `held ${i}`, clientId: `held-${i}` }, 30_000).catch((err: Error) => err),
      );
      // All five are in the gateway's commit queue, and the first batch waits for the lock.
      const awaitingCommit = async (): Promise<number> =>
        Number(/^chat_sends_awaiting_commit(?:\{[^}]*\})? (\d+)$/m.exec(await (await fetch(`${gateway.url}/metrics`)).text())?.[1]);
      await waitFor('the sends to be queued', async () => (await awaitingCommit()) === 5 && (await lockWaiters()) > 0, 10_000);
      await sleep(200);
      gateway.process.kill('SIGTERM');
      await waitFor('the gateway to be stopping', async () => ((await (await fetch(`${gateway.url}/health`)).json()) as { status: string }).status === 'stopping');

      // New sessions now: nginx tries the stopping gateway (least_conn picks it once the others hold more), gets 503 and moves on.
      const fresh = await Promise.all(
        [...Array.from({ length: 6 }, () => ['websocket']), ['polling'], ['polling']].map((transports) => connect(chat.url, watcherUser!.token, { transports }).then(track)),
      );
      expect(fresh.map(replicaOf).filter((id) => id === gw2)).toEqual([]);
      for (const socket of fresh) ok(await call(socket, 'room:join', { roomId }));
      expect(((await (await fetch(`${gateway.url}/health`)).json()) as { status: string }).status).toBe('stopping');

      await release();
      const acks = await Promise.all(burst);
      expect(acks.map((a) => (a instanceof Error ? a.message : a.ok))).toEqual([true, true, true, true, true]);
      const held = acks.flatMap((a) => (!(a instanceof Error) && a.ok && 'message' in a ? [a.message] : []));
      client.acked.push(...held);
    } finally {
      await release();
    }
    const stoppedAt = Date.now();
    expect(await gateway.process.exited).toBe(0);
    await watcher.waitFor('leaver offline', () => watcher.presence.some((p) => p.user.id === leaver!.user.id && p.status === 'offline'));
    console.info(`a SIGTERMed replica's user went offline ${Date.now() - stoppedAt} ms after its sends were answered`);
    // Cleared by the replica itself, not left for the sweep (heartbeat TTL 10 s).
    expect(await redis.exists(redisKeys.presenceReplica(gw2), redisKeys.replicaHeartbeat(gw2))).toBe(0);
    expect(reasons).toEqual(['transport close']);

    await client.joined(2);
    expect(client.sessions[1]).not.toBe(gw2);
    const after = ok(await call(client.socket, 'message:send', { roomId, content: 'after the move', clientId: 'after-move' }));
    if ('message' in after) client.acked.push(after.message);
    await watcher.waitFor('every message', () => client!.acked.every((m) => watcher.messagesIn(roomId).some((w) => w.id === m.id)));
    const watcherSeen = new Map(watcher.messagesIn(roomId).map((m) => [m.seq, m]));
    await expectNothingAcknowledgedLost(chat.rest, watcherUser!.token, roomId, client.acked, [client.seen, watcherSeen]);
    expect(client.acked.map((m) => m.content)).toEqual(['held 0', 'held 1', 'held 2', 'held 3', 'held 4', 'after the move']);
  });
});
