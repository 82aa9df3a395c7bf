import type { AuthResponse, HistoryResponse, Room, RoomDetails } from '@chat/contract';

/** The API's REST routes as a client uses them, through nginx at `/api`. */
export class Rest {
  constructor(readonly baseUrl: string) {}

  async register(prefix: string): Promise<AuthResponse> {
    const username = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
    return this.send<AuthResponse>('POST', '/api/auth/register', undefined, { username, password: 'correct horse battery' }, 201);
  }

  login(username: string): Promise<AuthResponse> {
    return this.send<AuthResponse>('POST', '/api/auth/login', undefined, { username, password: 'correct horse battery' }, 200);
  }

  logout(token: string): Promise<void> {
    return this.send<void>('POST', '/api/auth/logout', token, undefined, 204);
  }

  createRoom(token: string, name = `room ${Math.random().toString(36).slice(2, 10)}`): Promise<Room> {
    return this.send<Room>('POST', '/api/rooms', token, { name }, 201);
  }

  joinRoom(token: string, roomId: string): Promise<Room> {
    return this.send<Room>('POST', `/api/rooms/${roomId}/join`, token, undefined, 200);
  }

  room(token: string, roomId: string): Promise<RoomDetails> {
    return this.send<RoomDetails>('GET', `/api/rooms/${roomId}`, token, undefined, 200);
  }

  history(token: string, roomId: string, query: { limit?: number; after?: number; before?: number } = {}): Promise<HistoryResponse> {
    const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return this.send<HistoryResponse>('GET', `/api/rooms/${roomId}/messages${qs ? `?${qs}` : ''}`, token, undefined, 200);
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
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
