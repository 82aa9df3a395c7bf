import { ChatClient } from '@chat/client';
import type { AuthResponse, Room } from '@chat/contract';

/** A user (over REST) who creates a room and posts `messages` numbered messages into it (over Socket.IO), through the SDK. */
export async function seedRoom(baseUrl: string, o: { username: string; password: string; room: string; messages: number }): Promise<Room> {
  const chat = new ChatClient({ baseUrl, initialHistory: 0, socket: { transports: ['websocket'] } });
  try {
    await chat.register(o.username, o.password);
    const room = await chat.rest.createRoom({ body: { name: o.room } });
    await chat.connect();
    await chat.join(room.id);
    // One at a time, so seq follows the numbers.
    for (let i = 1; i <= o.messages; i++) await chat.send(room.id, `${o.room} ${i}`, { clientId: `seed-${i}` });
    return room;
  } finally {
    chat.close();
  }
}

/** A user, over REST. */
export const registerUser = (baseUrl: string, username: string, password: string): Promise<AuthResponse> =>
  new ChatClient({ baseUrl }).register(username, password);

/** A room owned by `owner`, which every one of `members` joins (REST). */
export async function roomWith(baseUrl: string, name: string, owner: AuthResponse, members: AuthResponse[]): Promise<Room> {
  const { rest } = new ChatClient({ baseUrl, token: owner.token });
  const room = await rest.createRoom({ body: { name } });
  for (const m of members) await rest.joinRoom({ token: m.token, params: { roomId: room.id } });
  return room;
}
