import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import type { Message } from '@chat/contract';
import { chatRoom, createRedis, subscribeToMessages } from '@chat/runtime';
import { waitFor } from '@chat/testkit';

/**
 * A bare Socket.IO server on the Redis adapter (what a gateway runs), whose
 * sockets join the rooms named in their handshake, and which hands what arrives
 * on the stored-messages channel to its sockets in the message's room, as a
 * gateway does. It shows that what the API sends through Redis reaches sockets
 * on a real Socket.IO server.
 */
export async function startSocketServer(redisUrl: string) {
  const pub = createRedis(redisUrl);
  const sub = pub.duplicate();
  const httpServer = createServer();
  const io = new Server(httpServer, { adapter: createAdapter(pub, sub) });
  io.on('connection', (socket) => {
    const rooms = (socket.handshake.auth as { rooms?: unknown }).rooms;
    if (Array.isArray(rooms)) void socket.join(rooms.filter((r): r is string => typeof r === 'string'));
  });
  const unsubscribe = await subscribeToMessages(sub, {
    onMessages: (messages) => {
      for (const m of messages) io.local.to(chatRoom(m.roomId)).emit('message', m);
    },
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  // The adapter listens with PSUBSCRIBE; wait until Redis has it, or an early emit would be missed.
  await waitFor('adapter subscription', async () => Number(await pub.call('PUBSUB', 'NUMPAT')) > 0);
  const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  const clients: ClientSocket[] = [];

  return {
    /** A connected client whose socket sits in `rooms`; records the messages and disconnect it gets. */
    async connect(rooms: string[]) {
      const socket = connect(url, { auth: { rooms }, transports: ['websocket'], reconnection: false });
      clients.push(socket);
      const messages: Message[] = [];
      let disconnectReason: string | undefined;
      socket.on('message', (m: Message) => messages.push(m));
      socket.on('disconnect', (reason) => {
        disconnectReason = reason;
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      return { socket, messages, disconnectReason: () => disconnectReason };
    },
    async close() {
      for (const c of clients) c.disconnect();
      await unsubscribe();
      await io.close();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
