import type { AuthResponse, Room } from '@chat/contract';

/** The contract's REST calls the load runner and its tests need, against nginx (`/api/…`). */
export class RestClient {
  constructor(readonly baseUrl: string) {}

  private async call<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  register(username: string, password: string): Promise<AuthResponse> {
    return this.call('POST', '/api/auth/register', undefined, { username, password });
  }

  createRoom(token: string, name: string): Promise<Room> {
    return this.call('POST', '/api/rooms', token, { name });
  }

  joinRoom(token: string, roomId: string): Promise<Room> {
    return this.call('POST', `/api/rooms/${roomId}/join`, token);
  }
}
