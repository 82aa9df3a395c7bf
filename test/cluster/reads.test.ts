import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReactionEvent, RoomReadEvent } from '@chat/contract';
import { waitFor } from '@chat/testkit';
import { call, ok, type ChatSocket } from '../../services/gateway/test/support/client.js';
import { roomWith } from '../support/users.js';
import { startChatCluster, type ChatCluster } from './support/cluster.js';

let chat: ChatCluster;

beforeAll(async () => {
  chat = await startChatCluster(3);
});
afterAll(async () => {
  await chat?.stop();
});

async function send(socket: ChatSocket, roomId: string, content: string): Promise<number> {
  const ack = ok(await call(socket, 'message:send', { roomId, content, clientId: `${content}-${Math.random()}` }));
  if (!('message' in ack)) throw new Error('expected a message');
  return ack.message.seq;
}

describe('read cursors and reactions across replicas', () => {
  it("clears the badge on the user's other device on another gateway, and GET /api/rooms agrees", async () => {
    const [ann, ben] = [await chat.register('ann'), await chat.register('ben')];
    const roomId = await roomWith([ann, ben]);
    const [benSocket, laptop, phone] = [await chat.on(0, ben.token), await chat.on(1, ann.token), await chat.on(2, ann.token)];
    for (const s of [benSocket, laptop, phone]) ok(await call(s, 'room:join', { roomId }));
    let last = 0;
    for (let i = 0; i < 3; i++) last = await send(benSocket, roomId, `hello ${i}`);
    expect((await ann.client.rest.listRooms()).rooms.find((r) => r.id === roomId)).toMatchObject({ unread: 3, lastSeq: last });

    const phoneSaw: RoomReadEvent[] = [];
    phone.on('room:read', (e) => phoneSaw.push(e));
    expect(ok(await call(laptop, 'room:read', { roomId, seq: last })).readSeq).toBe(last);
    await waitFor('the phone, on another gateway, to hear of it', () => phoneSaw.length === 1);
    expect(phoneSaw).toEqual([{ roomId, readSeq: last }]);
    await waitFor('the cursor to be stored', async () => (await ann.client.rest.listRooms()).rooms.find((r) => r.id === roomId)?.unread === 0, 5_000);
  });

  it('broadcasts a reaction to members on every gateway once, even when retried after a lost ack', async () => {
    const [cat, dan, eve] = [await chat.register('cat'), await chat.register('dan'), await chat.register('eve')];
    const roomId = await roomWith([cat, dan, eve]);
    const sockets = [await chat.on(0, cat.token), await chat.on(1, dan.token), await chat.on(2, eve.token)];
    for (const s of sockets) ok(await call(s, 'room:join', { roomId }));
    const seq = await send(sockets[0]!, roomId, 'react to me');
    const messageId = (await cat.client.rest.history({ params: { roomId }, query: { limit: 1 } })).messages[0]!.id;
    const heard = sockets.map(() => [] as ReactionEvent[]);
    sockets.forEach((s, i) => s.on('reaction', (e) => heard[i]!.push(e)));

    // The reaction is stored and broadcast, but its ack never reaches dan (his connection is gone):
    // the client retries on a new connection, on another gateway.
    const lost = await chat.on(1, dan.token);
    lost.emit('reaction:set', { roomId, messageId, emoji: '🎉', on: true }, () => undefined);
    await waitFor('the first attempt to be broadcast', () => heard[0]!.length === 1);
    lost.close();
    const retry = await chat.on(2, dan.token);
    expect(ok(await call(retry, 'reaction:set', { roomId, messageId, emoji: '🎉', on: true }))).toEqual({ ok: true, emoji: '🎉', count: 1 });

    await waitFor('every gateway to deliver the reaction', () => heard.every((h) => h.length === 1));
    await new Promise((r) => setTimeout(r, 300));
    for (const h of heard) expect(h).toEqual([{ roomId, messageId, seq, emoji: '🎉', user: { id: dan.user.id, username: dan.user.username }, on: true, count: 1 }]);
    const page = await eve.client.rest.history({ params: { roomId }, query: { limit: 1 } });
    expect(page.messages[0]!.reactions).toEqual([{ emoji: '🎉', count: 1, reacted: false }]);
  });

  it('keeps a stored cursor through a SIGKILL of the gateway that wrote it', async () => {
    const [fay, gus] = [await chat.register('fay'), await chat.register('gus')];
    const roomId = await roomWith([fay, gus]);
    const sender = await chat.on(0, gus.token);
    ok(await call(sender, 'room:join', { roomId }));
    for (let i = 0; i < 4; i++) await send(sender, roomId, `m${i}`);
    const reader = await chat.on(1, fay.token);
    expect(ok(await call(reader, 'room:read', { roomId, seq: 3 })).readSeq).toBe(3);
    await waitFor('the cursor to be stored', async () => (await fay.client.rest.listRooms()).rooms.find((r) => r.id === roomId)?.readSeq === 3, 5_000);
    await chat.cluster.gateways[1]!.kill();
    const after = (await fay.client.rest.listRooms()).rooms.find((r) => r.id === roomId);
    expect(after).toMatchObject({ readSeq: 3, unread: 2 }); // gus's "joined" message is a system message: 5 stored, 2 chat after seq 3
    // And a device on a surviving gateway carries on from it.
    const phone = await chat.on(2, fay.token);
    expect(ok(await call(phone, 'room:read', { roomId, seq: 2 })).readSeq).toBe(3);
  });
});
