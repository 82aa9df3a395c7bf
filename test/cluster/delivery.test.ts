import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '@chat/contract';
import { call, closeAll, connect, Inbox, ok, replicaOf, type ChatSocket } from '../../services/gateway/test/support/client.js';
import { roomWith } from '../support/users.js';
import { startChatCluster, type ChatCluster } from './support/cluster.js';

const MESSAGE_LIMIT = 30;
const COMMAND_LIMIT = 6;
let chat: ChatCluster;
const sockets: ChatSocket[] = [];
const track = <T extends ChatSocket>(socket: T): T => {
  sockets.push(socket);
  return socket;
};

const seqsOf = (messages: Message[]): number[] => messages.map((m) => m.seq);

beforeAll(async () => {
  chat = await startChatCluster(3, { RATE_LIMIT_MESSAGES: String(MESSAGE_LIMIT), RATE_LIMIT_COMMANDS: String(COMMAND_LIMIT) });
});
afterAll(async () => {
  closeAll(sockets);
  await chat?.stop();
});

describe('through nginx with three gateways', () => {
  it('spreads new sessions from one IP over the replicas, for WebSocket and polling alike', async () => {
    const alice = await chat.register('spread');
    const room = await roomWith([alice]);
    for (const transports of [['websocket'], ['polling']]) {
      const opened = await Promise.all(Array.from({ length: 6 }, () => connect(chat.url, alice.token, { transports })).map((p) => p.then(track)));
      const replicas = new Set(opened.map(replicaOf));
      expect(replicas.size, transports[0]).toBeGreaterThan(1);
      for (const replica of replicas) expect(chat.replicaIds).toContain(replica);
      // Every later request of a session reaches its owner: each can still talk.
      for (const socket of opened) ok(await call(socket, 'room:join', { roomId: room }));
    }
  });

  for (const transports of [['websocket'], ['polling']]) {
    it(`delivers a message sent on one replica to members on the others (${transports[0]})`, async () => {
      const users = await Promise.all(['ann', 'ben', 'cat'].map((n) => chat.register(n)));
      const roomId = await roomWith(users);
      const [a, b, c] = await Promise.all(users.map((u, i) => chat.connectTo(chat.replicaIds[i]!, u.token, { transports }).then(track)));
      const inboxes = [a!, b!, c!].map((s) => new Inbox(s));
      for (const s of [a!, b!, c!]) ok(await call(s, 'room:join', { roomId }));
      const sent = ok(await call(a!, 'message:send', { roomId, content: `hello over ${transports[0]}`, clientId: randomUUID() }));
      const message = 'message' in sent ? sent.message : undefined;
      expect(message?.content).toBe(`hello over ${transports[0]}`);
      for (const inbox of inboxes) {
        await inbox.waitFor('the message', () => inbox.messages.some((m) => m.id === message?.id));
        expect(inbox.messages.filter((m) => m.id === message?.id)).toEqual([message]);
      }
    });
  }

  it('gives every reader the same gapless seqs, arriving in seq order, while clients on all replicas send to one room at once', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => chat.register(`sender${i}`)));
    const roomId = await roomWith(users);
    const senders = await Promise.all(users.map((u, i) => chat.connectTo(chat.replicaIds[i % 3]!, u.token).then(track)));
    const readers = await Promise.all(chat.replicaIds.map((id) => chat.connectTo(id, users[0]!.token).then(track)));
    const inboxes = readers.map((r) => new Inbox(r));
    for (const s of [...senders, ...readers]) ok(await call(s, 'room:join', { roomId }));
    const perSender = 25;
    const acks = await Promise.all(
      senders.flatMap((s, i) => Array.from({ length: perSender }, (_, j) => call(s, 'message:send', { roomId, content: `s${i} m${j}`, clientId: `s${i}-m${j}` }))),
    );
    const stored = acks.map((a) => ok(a)).map((a) => ('message' in a ? a.message : undefined)!);
    const total = senders.length * perSender;
    const first = Math.min(...stored.map((m) => m.seq));
    expect(seqsOf(stored).sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => first + i));
    for (const [r, inbox] of inboxes.entries()) {
      await inbox.waitFor(`reader ${r} to get all`, () => inbox.messagesIn(roomId).length >= total, 20_000);
      // Whichever replica committed each one, every reader gets the room in seq order, each seq once.
      expect(seqsOf(inbox.messagesIn(roomId))).toEqual(seqsOf(stored).sort((x, y) => x - y));
    }
    const { messages } = await users[0]!.client.rest.history({ params: { roomId }, query: { after: first - 1, limit: 100 } });
    expect(messages.map((m) => m.id)).toEqual(stored.sort((x, y) => x.seq - y.seq).slice(0, 100).map((m) => m.id));
  });

  it('answers a retried clientId with the first message, on any replica, and broadcasts nothing new', async () => {
    const [amy, bo] = await Promise.all([chat.register('amy'), chat.register('bo')]);
    const roomId = await roomWith([amy, bo]);
    const [first, second] = [await chat.connectTo(chat.replicaIds[0]!, amy.token).then(track), await chat.connectTo(chat.replicaIds[1]!, amy.token).then(track)];
    const watcher = track(await chat.connectTo(chat.replicaIds[2]!, bo.token));
    const inbox = new Inbox(watcher);
    for (const s of [first, second, watcher]) ok(await call(s, 'room:join', { roomId }));
    const clientId = randomUUID();
    const original = ok(await call(first, 'message:send', { roomId, content: 'once', clientId }));
    const retried = ok(await call(second, 'message:send', { roomId, content: 'once, edited', clientId }));
    expect(retried).toEqual(original);
    // A later message from the replica that took the retry arrives after anything the retry broadcast.
    ok(await call(second, 'message:send', { roomId, content: 'marker', clientId: randomUUID() }));
    await inbox.waitFor('the marker', () => inbox.messages.some((m) => m.content === 'marker'));
    expect(inbox.messages.filter((m) => m.clientId === clientId)).toHaveLength(1);
    const { messages } = await bo.client.rest.history({ params: { roomId } });
    expect(messages.filter((m) => m.clientId === clientId).map((m) => m.content)).toEqual(['once']);
  });

  it('replays exactly the missed messages to a client that rejoins with since', async () => {
    const [kim, lee] = await Promise.all([chat.register('kim'), chat.register('lee')]);
    const roomId = await roomWith([kim, lee]);
    const sender = track(await chat.connectTo(chat.replicaIds[0]!, kim.token));
    ok(await call(sender, 'room:join', { roomId }));
    const away = track(await chat.connectTo(chat.replicaIds[1]!, lee.token));
    const awayInbox = new Inbox(away);
    const { missed: before } = ok(await call(away, 'room:join', { roomId, since: 0 }));
    ok(await call(sender, 'message:send', { roomId, content: 'seen live', clientId: randomUUID() }));
    await awayInbox.waitFor('live message', () => awayInbox.messages.length === 1);
    const lastSeen = Math.max(...seqsOf([...before, ...awayInbox.messages]));
    away.close();
    const missedIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const sent = ok(await call(sender, 'message:send', { roomId, content: `while away ${i}`, clientId: randomUUID() }));
      if ('message' in sent) missedIds.push(sent.message.id);
    }
    const back = track(await connect(chat.url, lee.token));
    const { missed } = ok(await call(back, 'room:join', { roomId, since: lastSeen }));
    expect(missed.map((m) => m.id)).toEqual(missedIds);
    expect(seqsOf(missed)).toEqual([lastSeen + 1, lastSeen + 2, lastSeen + 3, lastSeen + 4, lastSeen + 5]);
  });

  it('holds the per-user message budget across replicas', async () => {
    const [max] = await Promise.all([chat.register('max')]);
    const roomId = await roomWith([max!]);
    const [one, two] = [await chat.connectTo(chat.replicaIds[0]!, max!.token).then(track), await chat.connectTo(chat.replicaIds[2]!, max!.token).then(track)];
    for (const s of [one, two]) ok(await call(s, 'room:join', { roomId }));
    const acks = await Promise.all(
      Array.from({ length: MESSAGE_LIMIT + 10 }, (_, i) => call(i % 2 ? one : two, 'message:send', { roomId, content: `m${i}`, clientId: `rl-${i}` })),
    );
    expect(acks.filter((a) => a.ok)).toHaveLength(MESSAGE_LIMIT);
    const refused = acks.filter((a) => !a.ok);
    expect(refused).toHaveLength(10);
    for (const a of refused) expect(a).toMatchObject({ ok: false, error: { code: 'rate_limited', message: expect.stringMatching(/retry in \d+ s/), retryAfterMs: expect.any(Number) } });
  });

  it('holds the per-user command budget across replicas, and a retried command spends none of it', async () => {
    const [cam] = await Promise.all([chat.register('cam')]);
    const roomId = await roomWith([cam!]);
    const [one, two] = [await chat.connectTo(chat.replicaIds[1]!, cam!.token).then(track), await chat.connectTo(chat.replicaIds[2]!, cam!.token).then(track)];
    for (const s of [one, two]) ok(await call(s, 'room:join', { roomId }));
    // /help is answered in the ack, /stock queued as a job (no worker needs to run): both count as commands.
    const first = ok(await call(one, 'message:send', { roomId, content: '/stock=aapl.us', clientId: 'cmd-stock' }));
    expect(ok(await call(two, 'message:send', { roomId, content: '/stock=aapl.us', clientId: 'cmd-stock' }))).toEqual(first);
    const acks = await Promise.all(
      Array.from({ length: COMMAND_LIMIT + 3 }, (_, i) =>
        call(i % 2 ? one : two, 'message:send', { roomId, content: i % 3 ? '/help' : `/stock=c${i}.us`, clientId: `cmd-${i}` }),
      ),
    );
    // The retry above was free: COMMAND_LIMIT - 1 of these pass.
    expect(acks.filter((a) => a.ok)).toHaveLength(COMMAND_LIMIT - 1);
    const refused = acks.filter((a) => !a.ok);
    expect(refused).toHaveLength(4);
    for (const a of refused) expect(a).toMatchObject({ ok: false, error: { code: 'rate_limited', message: expect.stringMatching(/commands a minute/) } });
    // At the limit, on another replica, the retry still finds its job; plain messages have their own budget.
    expect(ok(await call(two, 'message:send', { roomId, content: '/stock=aapl.us', clientId: 'cmd-stock' }))).toEqual(first);
    ok(await call(one, 'message:send', { roomId, content: 'still talking', clientId: 'cmd-plain' }));
  });
});
