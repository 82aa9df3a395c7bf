import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCluster, type Cluster } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { ChatClient, type ChatSocket } from './client.js';
import { ChatError } from './errors.js';
import { openChatSocket, request } from './socket.js';

const COMMAND_LIMIT = 1;
let cluster: Cluster;
const sockets: ChatSocket[] = [];
const open = async (token: string): Promise<ChatSocket> => {
  const socket = await openChatSocket(cluster.url, token);
  sockets.push(socket);
  return socket;
};

/** A user registered through the SDK, and a room of theirs. */
async function owner(name: string): Promise<{ client: ChatClient; token: string; roomId: string }> {
  const client = new ChatClient({ baseUrl: cluster.url });
  const { token } = await client.register(`${name}_${Math.random().toString(36).slice(2, 8)}`, 'correct horse battery');
  const room = await client.rest.createRoom({ body: { name: `${name} ${randomUUID()}` } });
  return { client, token, roomId: room.id };
}

const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error('expected a rejection'), (err: unknown) => err);

beforeAll(async () => {
  cluster = await startCluster({ databaseUrl: await useTestDatabase(), gateways: 1, gatewayEnv: { RATE_LIMIT_COMMANDS: String(COMMAND_LIMIT) } });
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await cluster?.stop();
});

describe('openChatSocket and request through nginx', () => {
  it('opens a connection of its own per socket and resolves with what an ack carries besides ok', async () => {
    const { token, roomId } = await owner('ann');
    const [first, second] = [await open(token), await open(token)];
    expect(first.io.engine.id).not.toBe(second.io.engine.id);

    const joined = await request(first, 'room:join', { roomId });
    expect(joined.room.id).toBe(roomId);
    expect(joined).not.toHaveProperty('ok');
    const clientId = randomUUID();
    const sent = await request(first, 'message:send', { roomId, content: 'hello', clientId });
    expect(sent).toEqual({ message: expect.objectContaining({ roomId, content: 'hello', clientId }) });
    // The other connection rejoins with since and finds it; a resend of the clientId there returns it unchanged.
    const { missed } = await request(second, 'room:join', { roomId, since: 0 });
    expect(missed.map((m) => m.clientId)).toContain(clientId);
    expect(await request(second, 'message:send', { roomId, content: 'hello again', clientId })).toEqual(sent);
  });

  it('rejects a refused event with a ChatError of its code, rate_limited with retryAfterMs', async () => {
    const [ann, ben] = [await owner('ann'), await owner('ben')];
    const socket = await open(ben.token);
    const forbidden = await rejection(request(socket, 'room:join', { roomId: ann.roomId }));
    expect(forbidden).toBeInstanceOf(ChatError);
    expect(forbidden).toMatchObject({ code: 'forbidden', retryable: false });

    await request(socket, 'room:join', { roomId: ben.roomId });
    for (let i = 0; i < COMMAND_LIMIT; i++) await request(socket, 'message:send', { roomId: ben.roomId, content: '/help', clientId: randomUUID() });
    const limited = await rejection(request(socket, 'message:send', { roomId: ben.roomId, content: '/help', clientId: randomUUID() }));
    expect(limited).toMatchObject({ code: 'rate_limited', retryAfterMs: expect.any(Number) });
    expect((limited as ChatError).retryAfterMs).toBeGreaterThan(0);
  });

  it('rejects a refused handshake with its code, and an unreachable server with network', async () => {
    expect(await rejection(openChatSocket(cluster.url, 'not a token'))).toMatchObject({ name: 'ChatError', code: 'unauthorized' });
    const { token } = await owner('cal');
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await rejection(openChatSocket(nowhere, token, { timeout: 5_000 }));
    expect(unreachable).toMatchObject({ name: 'ChatError', code: 'network', retryable: true });
  });

  it('fails a request with network when the socket is not connected, or loses its connection before the answer', async () => {
    const { token, roomId } = await owner('dee');
    const closed = await open(token);
    closed.disconnect();
    expect(await rejection(request(closed, 'room:join', { roomId }))).toMatchObject({ code: 'network' });

    const dropped = await open(token);
    await request(dropped, 'room:join', { roomId });
    const pending = rejection(request(dropped, 'typing', { roomId, isTyping: true }, 60_000));
    // The transport goes away as in a network drop: the ack can no longer come, so the request fails now, not after 60 s.
    dropped.io.engine.close();
    expect(await pending).toMatchObject({ code: 'network', retryable: true });
  });
});
