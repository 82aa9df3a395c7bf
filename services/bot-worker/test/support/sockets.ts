import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import type { AiDeltaEvent, ClientToServerEvents, Message, ServerToClientEvents } from '@chat/contract';
import { chatRoom, createSubscriber, decodeRoomPayload, redisKeys, ShardedSubscriptions } from '@chat/runtime';
import { waitFor } from '@chat/testkit';

/**
 * A bare Socket.IO server standing in for one gateway replica: a client that connects
 * with `auth: {roomId}` is joined to `chatRoom(roomId)`, the server reads that room's
 * sharded channel as a gateway does, and hands the stored messages and AI deltas that
 * arrive there to the room's sockets.
 */
export interface SocketReplica {
  url: string;
  close(): Promise<void>;
}

export async function startSocketReplica(redisUrl: string): Promise<SocketReplica> {
  const sub = createSubscriber(redisUrl);
  const channels = new ShardedSubscriptions(sub);
  const http = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http);
  const onPayload = (payload: string): void => {
    const event = decodeRoomPayload(payload)?.event;
    if (event?.kind === 'messages') for (const text of event.messages) io.to(chatRoom(text.roomId)).emit('message', text.message);
    if (event?.kind === 'delta') io.to(chatRoom(event.delta.roomId)).emit('ai:delta', event.delta);
  };
  io.use((socket, next) => {
    const roomId: unknown = socket.handshake.auth.roomId;
    if (typeof roomId !== 'string') return next(new Error('no roomId'));
    // Connected once the room's channel is read, so nothing published after the connect is missed.
    channels.subscribe(redisKeys.roomChannel(roomId), onPayload).then(() => next(), next);
  });
  io.on('connection', (socket) => {
    void socket.join(chatRoom(socket.handshake.auth.roomId as string));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      (closed ??= (async () => {
        await io.close();
        await channels.close();
        await sub.quit().catch(() => undefined);
      })()),
  };
}

/** A client joined to one chat room that records what the room receives. */
export interface RoomListener {
  socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  messages: Message[];
  deltas: AiDeltaEvent[];
  /** Every event in arrival order, e.g. `delta:Hel`, `message:<id>`. */
  events: string[];
  waitForMessages(count: number, timeoutMs?: number): Promise<Message[]>;
  waitForMessage(match: (m: Message) => boolean, timeoutMs?: number): Promise<Message>;
  close(): void;
}

export async function listen(replica: SocketReplica, roomId: string): Promise<RoomListener> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = connect(replica.url, {
    auth: { roomId },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const messages: Message[] = [];
  const deltas: AiDeltaEvent[] = [];
  const events: string[] = [];
  socket.on('message', (m) => {
    messages.push(m);
    events.push(`message:${m.id}`);
  });
  socket.on('ai:delta', (d) => {
    deltas.push(d);
    events.push(`delta:${d.delta}`);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return {
    socket,
    messages,
    deltas,
    events,
    waitForMessages: async (count, timeoutMs = 20_000) => {
      await waitFor(`${count} message(s) in room ${roomId}`, () => messages.length >= count, timeoutMs);
      return messages;
    },
    waitForMessage: async (match, timeoutMs = 20_000) => {
      await waitFor(`a matching message in room ${roomId}`, () => messages.some(match), timeoutMs);
      return messages.find(match)!;
    },
    close: () => {
      socket.disconnect();
    },
  };
}
