import { createRestClient, type AuthResponse, type ClientToServerEvents, type Room, type ServerToClientEvents } from '@chat/contract';
import { io, type Socket } from 'socket.io-client';

/** A user (over REST) who creates a room and posts `messages` numbered messages into it (over Socket.IO). */
export async function seedRoom(baseUrl: string, o: { username: string; password: string; room: string; messages: number }): Promise<Room> {
  const rest = createRestClient({ baseUrl });
  const { token } = await rest.register({ body: { username: o.username, password: o.password } });
  const room = await rest.createRoom({ token, body: { name: o.room } });
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(baseUrl, { path: '/socket.io', auth: { token }, transports: ['websocket'] });
  try {
    const joined = await socket.timeout(10_000).emitWithAck('room:join', { roomId: room.id });
    if (!joined.ok) throw new Error(`room:join: ${joined.error.message}`);
    for (let i = 1; i <= o.messages; i++) {
      const ack = await socket.timeout(10_000).emitWithAck('message:send', { roomId: room.id, content: `${o.room} ${i}`, clientId: `seed-${i}` });
      if (!ack.ok) throw new Error(`message:send: ${ack.error.message}`);
    }
  } finally {
    socket.disconnect();
  }
  return room;
}

/** A user, over REST. */
export const registerUser = (baseUrl: string, username: string, password: string): Promise<AuthResponse> =>
  createRestClient({ baseUrl }).register({ body: { username, password } });

/** A room owned by `owner`, which every one of `members` joins (REST). */
export async function roomWith(baseUrl: string, name: string, owner: AuthResponse, members: AuthResponse[]): Promise<Room> {
  const rest = createRestClient({ baseUrl });
  const room = await rest.createRoom({ token: owner.token, body: { name } });
  for (const m of members) await rest.joinRoom({ token: m.token, params: { roomId: room.id } });
  return room;
}
