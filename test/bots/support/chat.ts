import { io, type Socket } from 'socket.io-client';
import type { Ack, AiDeltaEvent, AuthResponse, ClientToServerEvents, Message, MessageSendResult, RoomJoinResult, ServerToClientEvents } from '@chat/contract';
import { waitFor } from '@chat/testkit';
import type { Rest } from '../../support/rest.js';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

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
