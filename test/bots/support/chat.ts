import { io, type Socket } from 'socket.io-client';
import type { Ack, AiDeltaEvent, AuthResponse, ClientToServerEvents, HistoryResponse, Message, MessageSendResult, Room, RoomJoinResult, ServerToClientEvents } from '@chat/contract';
import { waitFor } from '@chat/testkit';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The REST calls a client makes through nginx. */
export class Rest {
  constructor(readonly baseUrl: string) {}

  register(prefix: string): Promise<AuthResponse> {
    const username = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
    return this.send('POST', '/api/auth/register', undefined, { username, password: 'correct horse battery' }, 201);
  }

  createRoom(token: string): Promise<Room> {
    return this.send('POST', '/api/rooms', token, { name: `bots ${Math.random().toString(36).slice(2, 10)}` }, 201);
  }

  joinRoom(token: string, roomId: string): Promise<Room> {
    return this.send('POST', `/api/rooms/${roomId}/join`, token, undefined, 200);
  }

  async history(token: string, roomId: string): Promise<Message[]> {
    const body = await this.send<HistoryResponse>('GET', `/api/rooms/${roomId}/messages?limit=100`, token, undefined, 200);
    return body.messages;
  }

  private async send<T>(method: string, path: string, token: string | undefined, body: unknown, expected: number): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
}

/** A connected client that records the room events it receives. */
export class Client {
  readonly messages: Message[] = [];
  readonly deltas: AiDeltaEvent[] = [];

  private constructor(readonly socket: ChatSocket) {
    socket.on('message', (m) => this.messages.push(m));
    socket.on('ai:delta', (d) => this.deltas.push(d));
  }

  /** Connects through nginx until the session lands on `replicaId` (new sessions are spread over the gateways). */
  static async on(url: string, replicaId: string, token: string): Promise<Client> {
    for (let attempt = 0; attempt < 40; attempt++) {
      const socket: ChatSocket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      const sid = socket.io.engine.id ?? '';
      if (sid.startsWith(`${replicaId}.`)) return new Client(socket);
      socket.close();
    }
    throw new Error(`no session landed on ${replicaId}`);
  }

  join(roomId: string, since?: number): Promise<RoomJoinResult> {
    return this.call<RoomJoinResult>('room:join', since === undefined ? { roomId } : { roomId, since });
  }

  send(roomId: string, content: string): Promise<Ack<MessageSendResult>> {
    return this.socket.timeout(10_000).emitWithAck('message:send', { roomId, content, clientId: crypto.randomUUID() });
  }

  async waitForMessage(what: string, match: (m: Message) => boolean, timeoutMs = 30_000): Promise<Message> {
    await waitFor(what, () => this.messages.some(match), timeoutMs);
    return this.messages.find(match)!;
  }

  close(): void {
    this.socket.close();
  }

  private async call<T extends object>(event: 'room:join', payload: { roomId: string; since?: number }): Promise<T> {
    const ack = (await this.socket.timeout(10_000).emitWithAck(event, payload)) as Ack<T>;
    if (!ack.ok) throw new Error(`${event} refused: ${ack.error.code} ${ack.error.message}`);
    return ack;
  }
}

export interface TwoReplicaRoom {
  roomId: string;
  alice: AuthResponse;
  bob: AuthResponse;
  onGw1: Client;
  onGw2: Client;
}

/** A room with two members, alice connected to gw1 and bob to gw2, both joined; the clients go into `opened`. */
export async function twoReplicaRoom(rest: Rest, clusterUrl: string, opened: Client[]): Promise<TwoReplicaRoom> {
  const [alice, bob] = await Promise.all([rest.register('alice'), rest.register('bob')]);
  const room = await rest.createRoom(alice.token);
  await rest.joinRoom(bob.token, room.id);
  const onGw1 = await Client.on(clusterUrl, 'gw1', alice.token);
  const onGw2 = await Client.on(clusterUrl, 'gw2', bob.token);
  opened.push(onGw1, onGw2);
  await onGw1.join(room.id);
  await onGw2.join(room.id);
  return { roomId: room.id, alice, bob, onGw1, onGw2 };
}
