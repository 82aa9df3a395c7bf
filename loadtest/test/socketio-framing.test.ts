/**
 * The framing module the k6 scripts use (k6/lib/socketio.js), driven over Node's `ws`
 * against the real cluster through nginx: if these pass, the k6 scripts speak the
 * protocol the gateways speak (k6 itself cannot run here).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRestClient, type Ack, type Message, type MessageSendResult, type RestClient, type RoomJoinResult } from '@chat/contract';
import { startCluster, waitFor, type Cluster } from '@chat/testkit';
import { useTestDatabase } from '@chat/testkit/vitest';
import { createSession, decodeFrame, encodeAck, encodeConnect, encodeEvent, socketUrl, type Session } from '../k6/lib/socketio.js';

interface Client {
  ws: WebSocket;
  session: Session;
  /** Frames in order, `<` received and `>` sent. */
  frames: string[];
  events: { name: string; args: unknown[] }[];
  close(): Promise<void>;
}

/** A WebSocket to `url` driven by the k6 framing module; resolves once Socket.IO says connected. */
function connect(url: string, auth: object): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(socketUrl(url));
    const frames: string[] = [];
    const events: Client['events'] = [];
    const client: Client = {
      ws,
      session: createSession(
        (frame) => {
          frames.push(`>${frame}`);
          ws.send(frame);
        },
        auth,
        {
          onConnect: () => resolve(client),
          onConnectError: (data) => reject(Object.assign(new Error(data.message), { data })),
          onEvent: (name, args) => events.push({ name, args }),
        },
      ),
      frames,
      events,
      close: () =>
        new Promise<void>((done) => {
          if (ws.readyState === WebSocket.CLOSED) return done();
          ws.once('close', () => done());
          client.session.disconnect();
          ws.close();
        }),
    };
    ws.on('message', (data) => {
      frames.push(`<${String(data)}`);
      client.session.receive(String(data));
    });
    ws.once('error', reject);
    ws.once('close', () => reject(new Error(`closed before connecting: ${frames.join(' ')}`)));
  });
}

const call = <T extends object>(client: Client, event: string, payload: unknown): Promise<Ack<T>> =>
  new Promise((resolve) => client.session.emit(event, payload, (answer) => resolve(answer as Ack<T>)));

let cluster: Cluster;
let rest: RestClient;
let alice: { token: string; id: string };
let bob: { token: string; id: string };
let roomId: string;
let pinged: Client;

beforeAll(async () => {
  cluster = await startCluster({ databaseUrl: await useTestDatabase(), gateways: 2 });
  rest = createRestClient({ baseUrl: cluster.url });
  const suffix = randomUUID().slice(0, 8);
  const a = await rest.register({ body: { username: `alice_${suffix}`, password: 'correct horse battery' } });
  const b = await rest.register({ body: { username: `bob_${suffix}`, password: 'correct horse battery' } });
  alice = { token: a.token, id: a.user.id };
  bob = { token: b.token, id: b.user.id };
  roomId = (await rest.createRoom({ token: alice.token, body: { name: `framing ${suffix}` } })).id;
  await rest.joinRoom({ token: bob.token, params: { roomId } });
  // Opened first: the server's first ping comes a pingInterval (25 s) after the handshake.
  pinged = await connect(cluster.url, { token: bob.token });
}, 120_000);

afterAll(async () => {
  await pinged?.close();
  await cluster?.stop();
});

describe('Engine.IO v4 / Socket.IO v5 framing (k6/lib/socketio.js)', () => {
  it('encodes and decodes connect, events with and without ack ids, acks and namespaced packets', () => {
    expect(encodeConnect({ token: 't' })).toBe('40{"token":"t"}');
    expect(encodeEvent('room:join', [{ roomId: 'r' }], 12)).toBe('4212["room:join",{"roomId":"r"}]');
    expect(encodeEvent('typing', [{ isTyping: true }])).toBe('42["typing",{"isTyping":true}]');
    expect(encodeAck(3, [{ ok: true }])).toBe('433[{"ok":true}]');
    expect(decodeFrame('0{"sid":"gw1.x","pingInterval":25000}')).toMatchObject({ kind: 'open', handshake: { sid: 'gw1.x' } });
    expect(decodeFrame('2')).toEqual({ kind: 'ping', data: '' });
    expect(decodeFrame('437[{"ok":false}]')).toEqual({ kind: 'ack', nsp: '/', ackId: 7, args: [{ ok: false }] });
    expect(decodeFrame('42/admin,5["x",1]')).toEqual({ kind: 'event', nsp: '/admin', name: 'x', args: [1], ackId: 5 });
    expect(decodeFrame('44{"message":"unauthorized"}')).toMatchObject({ kind: 'connect_error', data: { message: 'unauthorized' } });
  });

  it('completes the handshake with a token through nginx and joins a room with an acked event', async () => {
    const client = await connect(cluster.url, { token: alice.token });
    try {
      expect(client.frames[0]).toMatch(/^<0\{/);
      expect(client.frames[1]).toBe(`>40${JSON.stringify({ token: alice.token })}`);
      expect(client.session.handshake?.sid).toMatch(/^gw\d+\./);
      const joined = await call<RoomJoinResult>(client, 'room:join', { roomId });
      expect(joined).toMatchObject({ ok: true, room: { id: roomId } });
    } finally {
      await client.close();
    }
  });

  it('sends with an ack and receives the broadcast on a socket of another gateway', async () => {
    const sender = await connect(cluster.url, { token: alice.token });
    const others: Client[] = [];
    try {
      const replicaOf = (c: Client) => c.session.handshake?.sid.split('.')[0];
      let receiver = await connect(cluster.url, { token: bob.token });
      while (replicaOf(receiver) === replicaOf(sender) && others.length < 8) {
        others.push(receiver);
        receiver = await connect(cluster.url, { token: bob.token });
      }
      others.push(receiver);
      expect(replicaOf(receiver)).not.toBe(replicaOf(sender));
      expect(await call(sender, 'room:join', { roomId })).toMatchObject({ ok: true });
      expect(await call(receiver, 'room:join', { roomId })).toMatchObject({ ok: true });

      const clientId = randomUUID();
      const ack = await call<MessageSendResult>(sender, 'message:send', { roomId, content: 'over raw frames', clientId });
      expect(ack.ok).toBe(true);
      const sent = (ack as { message: Message }).message;
      expect(sent).toMatchObject({ roomId, content: 'over raw frames', clientId, sender: { id: alice.id } });
      expect(sender.frames).toContainEqual(expect.stringMatching(/^>42\d+\["message:send",/));
      expect(sender.frames).toContainEqual(expect.stringMatching(/^<43\d+\[\{"ok":true,"message":/));

      await waitFor('the broadcast on the other gateway', () => receiver.events.some((e) => e.name === 'message'), 10_000);
      const delivered = receiver.events.find((e) => e.name === 'message')?.args[0] as Message;
      expect(delivered).toEqual(sent);
      await waitFor('the broadcast to the sender', () => sender.events.some((e) => e.name === 'message'), 10_000);
    } finally {
      await Promise.all([sender, ...others].map((c) => c.close()));
    }
  });

  it('is refused with connect_error "unauthorized" for a bad token', async () => {
    await expect(connect(cluster.url, { token: 'not-a-token' })).rejects.toMatchObject({ message: 'unauthorized' });
  });

  it("answers the server's ping with a pong and stays connected past it", async () => {
    const { pingInterval } = pinged.session.handshake!;
    await waitFor('a ping from the server', () => pinged.session.pingsAnswered > 0, pingInterval + 10_000, 100);
    const ping = pinged.frames.indexOf('<2');
    expect(ping).toBeGreaterThan(0);
    expect(pinged.frames[ping + 1]).toBe('>3');
    expect(pinged.ws.readyState).toBe(WebSocket.OPEN);
    expect(await call(pinged, 'room:join', { roomId })).toMatchObject({ ok: true });
  }, 60_000);
});
