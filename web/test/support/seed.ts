import type { AuthResponse, ClientToServerEvents, Room, ServerToClientEvents } from '@chat/contract';
import { io, type Socket } from 'socket.io-client';

export async function post<T>(url: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** A user (over REST) who creates a room and posts `messages` numbered messages into it (over Socket.IO). */
export async function seedRoom(baseUrl: string, o: { username: string; password: string; room: string; messages: number }): Promise<Room> {
  const { token } = await post<AuthResponse>(`${baseUrl}/api/auth/register`, { username: o.username, password: o.password });
  const room = await post<Room>(`${baseUrl}/api/rooms`, { name: o.room }, token);
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
  post<AuthResponse>(`${baseUrl}/api/auth/register`, { username, password });

/** A room owned by `owner`, which every one of `members` joins (REST). */
export async function roomWith(baseUrl: string, name: string, owner: AuthResponse, members: AuthResponse[]): Promise<Room> {
  const room = await post<Room>(`${baseUrl}/api/rooms`, { name }, owner.token);
  for (const m of members) await post<Room>(`${baseUrl}/api/rooms/${room.id}/join`, {}, m.token);
  return room;
}
