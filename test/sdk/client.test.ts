import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient, ChatError, type ChatClientOptions, type Message, type ReactionEvent, type RoomReadEvent, type RoomSyncEvent, type SendEvent } from '@chat/client';
import { waitFor } from '@chat/testkit';
import { startChatCluster, type ChatCluster } from '../cluster/support/cluster.js';

const PASSWORD = 'correct horse battery';
const COMMAND_LIMIT = 3;
let chat: ChatCluster;
const clients: ChatClient[] = [];

beforeAll(async () => {
  chat = await startChatCluster(2, { RATE_LIMIT_MESSAGES: '10000', RATE_LIMIT_COMMANDS: String(COMMAND_LIMIT) });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await chat?.stop();
});

/** A registered, connected SDK client through nginx, recording every message it hands on. */
async function user(name: string, options: Partial<ChatClientOptions> = {}): Promise<{ client: ChatClient; messages: Message[] }> {
  const client = new ChatClient({ baseUrl: chat.url, socket: { reconnectionDelay: 100, reconnectionDelayMax: 500 }, ...options });
  clients.push(client);
  await client.register(`${name}_${Math.random().toString(36).slice(2, 8)}`, PASSWORD);
  await client.connect();
  const messages: Message[] = [];
  client.on('message', (m) => messages.push(m));
  return { client, messages };
}

/** Cuts the transport as a network drop would: socket.io-client reconnects by itself. */
const dropConnection = (client: ChatClient): void => (client as unknown as { socket: { io: { engine: { close(): void } } } }).socket.io.engine.close();

/**
 * Loses the first `event` the client emits on its current socket, as a network that drops a
 * frame would: the connection stays up and no answer comes. Returns the events that did go out.
 */
function loseFirst(client: ChatClient, event: string): string[] {
  type Packet = { data?: unknown[] };
  const socket = (client as unknown as { socket: { packet(packet: Packet): void } }).socket;
  const send = socket.packet.bind(socket);
  const sent: string[] = [];
  let lost = false;
  socket.packet = (packet) => {
    const name = packet.data?.[0];
    if (!lost && name === event) {
      lost = true;
      return;
    }
    if (typeof name === 'string') sent.push(name);
    send(packet);
  };
  return sent;
}

/** A client that gives up on an answer after a second and tries a failed join again after a fifth of one. */
const impatient: Partial<ChatClientOptions> = { ackTimeoutMs: 1_000, rooms: { retryMinMs: 200 } };

const seqs = (messages: Message[], roomId: string): number[] => messages.filter((m) => m.roomId === roomId).map((m) => m.seq);
const gapless = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('@chat/client against the cluster', () => {
  it('registers, joins, sends and receives: each room in seq order, each message once, the sender included', async () => {
    const [ann, ben] = [await user('ann'), await user('ben')];
    const room = await ann.client.rest.createRoom({ body: { name: `sdk ${Date.now()}` } });
    await ben.client.rest.joinRoom({ params: { roomId: room.id } });
    await ann.client.join(room.id);
    await ben.client.join(room.id);
    const acks = await Promise.all(['one', 'two', 'three'].map((text) => ann.client.send(room.id, text)));
    const sent = acks.map((a) => ('message' in a ? a.message : undefined));
    expect(sent.map((m) => m?.content)).toEqual(['one', 'two', 'three']);
    await waitFor('both to hold the three', () => [ann, ben].every((u) => u.messages.filter((m) => m.roomId === room.id && m.type === 'message').length === 3));
    for (const u of [ann, ben]) {
      const inRoom = seqs(u.messages, room.id);
      expect(inRoom).toEqual(gapless(inRoom[0]!, inRoom.at(-1)!));
    }
    expect(ann.client.pendingSends).toEqual([]);
  });

  it('keeps sends made while the connection is down, and sends them, once each, when it is back', async () => {
    const [ann, ben] = [await user('ann'), await user('ben')];
    const room = await ann.client.rest.createRoom({ body: { name: `outbox ${Date.now()}` } });
    await ben.client.rest.joinRoom({ params: { roomId: room.id } });
    await ann.client.join(room.id);
    await ben.client.join(room.id);
    dropConnection(ann.client);
    const sends = ['while', 'we', 'were', 'away'].map((text) => ann.client.send(room.id, text));
    expect(ann.client.pendingSends.map((s) => s.content)).toEqual(['while', 'we', 'were', 'away']);
    const acked = await Promise.all(sends);
    expect(acked.map((a) => ('message' in a ? a.message.content : '')).sort()).toEqual(['away', 'we', 'were', 'while']);
    await waitFor('ben to hold them', () => ben.messages.filter((m) => m.roomId === room.id && m.type === 'message').length === 4);
    // A resend with the same clientId (after an app restart, say) returns the stored message and adds nothing.
    const first = acked[0]!;
    if (!('message' in first)) throw new Error('not a message');
    const again = await ann.client.send(room.id, 'while', { clientId: first.message.clientId! });
    expect(again).toEqual({ message: first.message });
    const history = await ann.client.rest.history({ params: { roomId: room.id } });
    expect(history.messages.filter((m) => m.type === 'message').map((m) => m.clientId).sort()).toEqual(acked.map((a) => ('message' in a ? a.message.clientId : '')).sort());
  });

  it('catches up on everything missed while away, beyond the 100 a join returns, in order and without duplicates', async () => {
    const [ann, ben] = [await user('ann'), await user('ben')];
    const room = await ann.client.rest.createRoom({ body: { name: `catch-up ${Date.now()}` } });
    await ben.client.rest.joinRoom({ params: { roomId: room.id } });
    await ann.client.join(room.id);
    await ben.client.join(room.id);
    const before = ben.messages.length;
    // ben is gone for good while 130 messages are sent; he comes back with a new connection.
    (ben.client as unknown as { socket: { disconnect(): void } }).socket.disconnect();
    for (let i = 0; i < 130; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => ann.client.send(room.id, `m${i + j}`)));
    await ben.client.connect();
    await waitFor('ben to catch up', () => ben.messages.length - before === 130, 30_000);
    const got = seqs(ben.messages, room.id);
    expect(got).toEqual(gapless(got[0]!, got.at(-1)!));
    expect(ben.messages.slice(before).map((m) => m.content)).toEqual(Array.from({ length: 130 }, (_, i) => `m${i}`));
  });

  it('says session:ended on logout, and fails what it still had to send', async () => {
    const ann = await user('ann');
    const ended: unknown[] = [];
    ann.client.on('session:ended', (e) => ended.push(e));
    const other = new ChatClient({ baseUrl: chat.url, token: ann.client.token! });
    clients.push(other);
    await other.connect();
    const otherEnded: unknown[] = [];
    other.on('session:ended', (e) => otherEnded.push(e));
    await ann.client.logout();
    // The same token on another connection is ended by the server, with the reason.
    await waitFor('the other connection to be told', () => otherEnded.length === 1);
    expect(otherEnded).toEqual([{ reason: 'logged_out' }]);
    await expect(other.send('00000000-0000-4000-8000-000000000000', 'too late')).rejects.toMatchObject({ code: 'closed' });
    expect(ended).toEqual([]); // the client that logged out closed itself
  });

  it('reports a send unanswered on a live connection as unconfirmed, joins its room again, and stores it once', async () => {
    const ann = await user('ann', impatient);
    const room = await ann.client.rest.createRoom({ body: { name: `unanswered ${Date.now()}` } });
    await ann.client.join(room.id);
    const sent = loseFirst(ann.client, 'message:send');
    const states: string[] = [];
    ann.client.on('send', (e: SendEvent) => states.push(e.state));
    const ack = await ann.client.send(room.id, 'lost on the way');
    expect(states).toEqual(['waiting', 'sending', 'unconfirmed', 'sending', 'sent']);
    // Joined again before it went out again, with its clientId: one message.
    expect(sent).toEqual(['room:join', 'message:send']);
    const history = await ann.client.rest.history({ params: { roomId: room.id } });
    expect(history.messages.filter((m) => m.content === 'lost on the way').map((m) => m.clientId)).toEqual(['message' in ack ? ack.message.clientId : '']);
    await waitFor('the message handed on once', () => ann.messages.some((m) => m.content === 'lost on the way'));
    expect(ann.messages.filter((m) => m.content === 'lost on the way')).toHaveLength(1);
  });

  it('tries a join unanswered on a live connection again by itself, then sends what was typed meanwhile', async () => {
    const [ann, ben] = [await user('ann', impatient), await user('ben')];
    const room = await ben.client.rest.createRoom({ body: { name: `rejoin ${Date.now()}` } });
    await ann.client.rest.joinRoom({ params: { roomId: room.id } });
    await ben.client.join(room.id);
    const events: RoomSyncEvent[] = [];
    ann.client.on('room', (e) => events.push(e));
    const sent = loseFirst(ann.client, 'room:join');
    await expect(ann.client.join(room.id)).rejects.toMatchObject({ code: 'network' });
    const typed = ann.client.send(room.id, 'typed before the join');
    expect(ann.client.pendingSends.map((s) => s.state)).toEqual(['waiting']);
    await typed;
    expect(sent).toEqual(['room:join', 'message:send']);
    expect(events.map((e) => (e.state === 'retrying' ? `${e.state} ${e.stage} ${e.error.code}` : e.state))).toEqual(['retrying join network', 'synced']);
    expect(ann.client.roomState(room.id)?.live).toBe(true);
    // Joined for real: live messages arrive.
    await ben.client.send(room.id, 'you are back');
    await waitFor('ann to get it', () => ann.messages.some((m) => m.content === 'you are back'));
  });

  it('reads older pages below the messages it holds, for scroll-back', async () => {
    const ann = await user('ann');
    const room = await ann.client.rest.createRoom({ body: { name: `older ${Date.now()}` } });
    await ann.client.join(room.id);
    for (let i = 1; i <= 75; i++) await ann.client.send(room.id, `m${i}`);
    const reader = await user('ben', { initialHistory: 50 });
    await reader.client.rest.joinRoom({ params: { roomId: room.id } });
    await reader.client.join(room.id);
    // The latest 50 came first (ben's own join among them): older ones remain.
    expect(reader.client.roomState(room.id)).toMatchObject({ hasOlder: true });
    const oldest = reader.client.roomState(room.id)!.oldest!;
    const page = await reader.client.loadOlder(room.id, 100);
    expect(page.messages.map((m) => m.seq)).toEqual(gapless(1, oldest - 1));
    expect(page.hasMore).toBe(false);
    expect(reader.client.roomState(room.id)).toMatchObject({ oldest: 1, hasOlder: false });
    expect(await reader.client.loadOlder(room.id)).toEqual({ messages: [], hasMore: false });
  });

  it('ends the session with the reason when a REST call is refused for its token', async () => {
    const ann = await user('ann');
    const offline = new ChatClient({ baseUrl: chat.url, token: ann.client.token! });
    clients.push(offline);
    const ended: unknown[] = [];
    offline.on('session:ended', (e) => ended.push(e));
    await ann.client.logout();
    await expect(offline.rest.me()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    expect(ended).toEqual([{ reason: 'logged_out' }]);
    // A call with a token of its own ends nothing.
    const other = await user('ben');
    await expect(other.client.rest.me({ token: 'not-a-token' })).rejects.toMatchObject({ code: 'unauthorized' });
    expect(other.client.state).toBe('connected');
  });

  it('marks a room read for every device of the user and keeps reactions with their counts', async () => {
    const [laptop, ben] = [await user('ann'), await user('ben')];
    // The same user on a second device: a login of its own.
    const phone = new ChatClient({ baseUrl: chat.url });
    clients.push(phone);
    await phone.login(laptop.client.user!.username, PASSWORD);
    await phone.connect();
    const phoneReads: RoomReadEvent[] = [];
    phone.on('room:read', (e) => phoneReads.push(e));
    const room = await ben.client.rest.createRoom({ body: { name: `reads ${Date.now()}` } });
    await laptop.client.rest.joinRoom({ params: { roomId: room.id } });
    await ben.client.join(room.id);
    const sent = [];
    for (const text of ['one', 'two', 'three']) sent.push(await ben.client.send(room.id, text));
    const last = sent.map((a) => ('message' in a ? a.message : undefined)).at(-1)!;
    const listed = async (client: ChatClient) => (await client.rest.listRooms()).rooms.find((r) => r.id === room.id);
    expect(await listed(phone)).toMatchObject({ joined: true, lastSeq: last.seq, unread: 3 });

    // Marked on the laptop (not joined there: membership is enough), cleared on the phone.
    expect(await laptop.client.markRead(room.id, last.seq)).toBe(last.seq);
    await waitFor('the phone to hear of it', () => phoneReads.length === 1);
    expect(phoneReads).toEqual([{ roomId: room.id, readSeq: last.seq }]);
    expect(phone.readSeq(room.id)).toBe(last.seq);
    await waitFor('the stored cursor', async () => (await listed(phone))?.unread === 0);
    // Known on both now: marking the same seq again sends nothing, so nobody hears of it.
    expect(await phone.markRead(room.id, last.seq)).toBe(last.seq);
    expect(await laptop.client.markRead(room.id, 1)).toBe(last.seq);
    await expect(laptop.client.markRead(room.id, last.seq + 50)).rejects.toMatchObject({ code: 'validation' });

    // A message the user sends on the laptop moves the cursor; the phone, in the room, sees it arrive from them.
    await Promise.all([phone.join(room.id), laptop.client.join(room.id)]);
    const phoneGot: Message[] = [];
    phone.on('message', (m) => phoneGot.push(m));
    const mine = await laptop.client.send(room.id, 'read up to here');
    const mineSeq = 'message' in mine ? mine.message.seq : -1;
    await waitFor('the phone to get it', () => phoneGot.some((m) => m.seq === mineSeq));
    expect(phone.readSeq(room.id)).toBe(mineSeq);
    expect(phoneReads).toHaveLength(1);

    const benHeard: ReactionEvent[] = [];
    ben.client.on('reaction', (e) => benHeard.push(e));
    expect(await laptop.client.react(room.id, last.id, '👍', true)).toEqual({ emoji: '👍', count: 1 });
    // A retry changes nothing, and is not told again.
    expect(await laptop.client.react(room.id, last.id, '👍', true)).toEqual({ emoji: '👍', count: 1 });
    expect(await ben.client.react(room.id, last.id, '👍', true)).toEqual({ emoji: '👍', count: 2 });
    await waitFor('ben to hear both', () => benHeard.length === 2);
    expect(benHeard.map((e) => [e.user.username, e.emoji, e.on, e.count, e.seq])).toEqual([
      [laptop.client.user!.username, '👍', true, 1, last.seq],
      [ben.client.user!.username, '👍', true, 2, last.seq],
    ]);
    await expect(laptop.client.react(room.id, last.id, 'not an emoji', true)).rejects.toMatchObject({ code: 'validation' });
    const page = await phone.rest.history({ params: { roomId: room.id } });
    expect(page.messages.find((m) => m.id === last.id)?.reactions).toEqual([{ emoji: '👍', count: 2, reacted: true }]);
    expect(await laptop.client.react(room.id, last.id, '👍', false)).toEqual({ emoji: '👍', count: 1 });
    const after = await ben.client.rest.history({ params: { roomId: room.id } });
    expect(after.messages.find((m) => m.id === last.id)?.reactions).toEqual([{ emoji: '👍', count: 1, reacted: true }]);
  });

  it('surfaces rate limits as a typed error with retryAfterMs', async () => {
    const ann = await user('ann');
    const room = await ann.client.rest.createRoom({ body: { name: `limits ${Date.now()}` } });
    await ann.client.join(room.id);
    for (let i = 0; i < COMMAND_LIMIT; i++) await ann.client.send(room.id, '/help');
    const refused = await ann.client.send(room.id, '/help').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ChatError);
    expect(refused).toMatchObject({ code: 'rate_limited', retryable: false });
    expect((refused as ChatError).retryAfterMs).toBeGreaterThan(0);
    expect((refused as ChatError).retryAfterMs).toBeLessThanOrEqual(60_000);
  });
});
