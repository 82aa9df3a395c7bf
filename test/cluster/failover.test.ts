import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, redisKeys, type RedisClient } from '@chat/runtime';
import { createOrm, type Orm } from '@chat/store';
import type { Message } from '@chat/client';
import { sleep, waitFor } from '@chat/testkit';
import { call, closeAll, connect, Inbox, ok, replicaOf, type ChatSocket } from '../../services/gateway/test/support/client.js';
import { RecordedClient, type RecordedClientOptions } from '../support/recorded-client.js';
import { roomWith } from '../support/users.js';
import { expectNothingAcknowledgedLost } from './support/acked.js';
import { startChatCluster, type ChatCluster } from './support/cluster.js';
import { ContinuousSender } from './support/continuous-sender.js';

/** The contract: a dead replica's users go offline within 15 s. */
const PRESENCE_LAPSE_LIMIT_MS = 15_000;

let chat: ChatCluster;
let redis: RedisClient;
/** The test's own PostgreSQL connections, without session timeouts, to hold locks. */
let locker: Orm;
const sockets: ChatSocket[] = [];
const clients: RecordedClient[] = [];
const track = (socket: ChatSocket): ChatSocket => {
  sockets.push(socket);
  return socket;
};

/** The SDK client of a user whose replica goes away: it reconnects through nginx soon, and an unanswered send goes out again after 3 s. */
const resilient: RecordedClientOptions = { ackTimeoutMs: 3_000, socket: { reconnectionDelay: 250, reconnectionDelayMax: 1_000 } };

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
    const [watcherUser, gone, mover] = await Promise.all(['watcher', 'gone', 'mover'].map((n) => chat.register(n)));
    const roomId = await roomWith([watcherUser!, gone!, mover!]);
    const [gw1, , gw3] = chat.replicaIds as [string, string, string];
    const watcherSocket = track(await chat.connectTo(gw1, watcherUser!.token));
    const watcher = new Inbox(watcherSocket);
    ok(await call(watcherSocket, 'room:join', { roomId }));
    // `gone` does not reconnect: only the sweep can take it offline.
    const goneSocket = track(await chat.connectTo(gw3, gone!.token));
    ok(await call(goneSocket, 'room:join', { roomId }));
    // `mover` is on the doomed replica too: an SDK client sending all along, which reconnects and rejoins by itself.
    const client = await RecordedClient.on(chat.url, gw3, mover!.token, resilient);
    clients.push(client);
    await client.chat.join(roomId);
    const moverEvents = (): string[] => watcher.presence.filter((p) => p.user.id === mover!.user.id).map((p) => p.status);
    await watcher.waitFor('mover online', () => moverEvents().at(-1) === 'online');
    const moverMark = moverEvents().length;
    const sender = new ContinuousSender(client.chat, roomId);
    sender.start('kill');
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
    expect(client.sessions[0]).toBe(gw3);
    expect(client.sessions[1]).not.toBe(gw3);
    await sleep(500);
    // Over the message budget most sends are refused (rate_limited); the acknowledged ones are what counts.
    await sender.stop();
    expect(sender.acked.length).toBeGreaterThan(5);
    // The mover came back on a survivor: still online, never announced offline.
    expect(moverEvents().slice(moverMark)).toEqual([]);
    const details = await watcherUser!.client.rest.room({ params: { roomId } });
    expect(Object.fromEntries(details.members.map((m) => [m.username, m.online]))).toMatchObject({ [gone!.user.username]: false, [mover!.user.username]: true });
    expect(await redis.sismember(redisKeys.replicas, gw3)).toBe(0);

    const watcherSeen = new Map(watcher.messagesIn(roomId).map((m) => [m.seq, m]));
    await expectNothingAcknowledgedLost(watcherUser!, roomId, sender.acked, [client.seen(roomId), watcherSeen]);
  });
});

describe('a gateway stopped with SIGTERM', () => {
  it('answers every send it holds, sends new sessions elsewhere, clears its presence at once and moves its clients', async () => {
    const [watcherUser, leaver, mover] = await Promise.all(['watcher2', 'leaver', 'mover2'].map((n) => chat.register(n)));
    const roomId = await roomWith([watcherUser!, leaver!, mover!]);
    const [gw1, gw2] = chat.replicaIds as [string, string];
    const watcherSocket = track(await chat.connectTo(gw1, watcherUser!.token));
    const watcher = new Inbox(watcherSocket);
    ok(await call(watcherSocket, 'room:join', { roomId }));
    const leaverSocket = track(await chat.connectTo(gw2, leaver!.token));
    ok(await call(leaverSocket, 'room:join', { roomId }));
    // An SDK client whose sends wait up to 30 s for their ack: the stopping replica must answer them itself.
    const client = await RecordedClient.on(chat.url, gw2, mover!.token, { ...resilient, ackTimeoutMs: 30_000 });
    clients.push(client);
    await client.chat.join(roomId);

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
    let held: Message[] = [];
    try {
      await lock.raw('select id from rooms where id = ? for update', [roomId]);
      // Each ack notes how many connections had joined by then: a send the SDK had to resend would come after the second.
      const burst = Array.from({ length: 5 }, (_, i) =>
        client.chat.send(roomId, `held ${i}`, { clientId: `held-${i}` }).then((result) => ({ result, joins: client.sessions.length })),
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
      expect(acks.map((a) => a.joins)).toEqual([1, 1, 1, 1, 1]);
      held = acks.flatMap((a) => ('message' in a.result ? [a.result.message] : []));
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
    expect(client.sessions[0]).toBe(gw2);
    expect(client.sessions[1]).not.toBe(gw2);
    const after = await client.chat.send(roomId, 'after the move', { clientId: 'after-move' });
    const acked = [...held, ...('message' in after ? [after.message] : [])];
    await watcher.waitFor('every message', () => acked.every((m) => watcher.messagesIn(roomId).some((w) => w.id === m.id)));
    const watcherSeen = new Map(watcher.messagesIn(roomId).map((m) => [m.seq, m]));
    await expectNothingAcknowledgedLost(watcherUser!, roomId, acked, [client.seen(roomId), watcherSeen]);
    expect(acked.map((m) => m.content)).toEqual(['held 0', 'held 1', 'held 2', 'held 3', 'held 4', 'after the move']);
  });
});
