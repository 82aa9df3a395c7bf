import { authResponseSchema, errorBodySchema, historyResponseSchema, roomDetailsSchema, roomListSchema, roomSchema, userSchema, type AuthResponse, type Message, type Room, type RoomDetails, type User } from '@chat/contract';
import { ApiError } from './errors.js';

export interface ApiClientOptions {
  /** The bearer token for authenticated calls, or null when signed out. */
  token(): string | null;
  /** Called when an authenticated call answers 401 (expired or revoked token). */
  onUnauthorized(): void;
}

export interface HistoryPage {
  limit?: number;
  before?: number;
  after?: number;
}

/** What the client needs of a contract schema (zod's `safeParse`). */
interface Parser<T> {
  safeParse(input: unknown): { success: true; data: T } | { success: false };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** Typed calls to the REST API at `/api` (same origin, behind nginx). */
export function createApiClient(options: ApiClientOptions) {
  async function call<T>(method: string, path: string, schema: Parser<T> | null, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = auth ? options.token() : null;
    if (token) headers.Authorization = `Bearer ${token}`;

    let res: Response;
    try {
      res = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError('network', 'the server could not be reached');
    }
    if (!res.ok) throw await toApiError(res, auth ? options.onUnauthorized : undefined);
    if (schema === null || res.status === 204) return undefined as T;
    const parsed = schema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new ApiError('internal', `unexpected answer from ${method} ${path}`, res.status);
    return parsed.data;
  }

  return {
    register: (username: string, password: string): Promise<AuthResponse> =>
      call('POST', '/auth/register', authResponseSchema, { username, password }, false),
    login: (username: string, password: string): Promise<AuthResponse> =>
      call('POST', '/auth/login', authResponseSchema, { username, password }, false),
    logout: (): Promise<void> => call<void>('POST', '/auth/logout', null),
    me: (): Promise<User> => call('GET', '/me', userSchema),
    listRooms: async (): Promise<Room[]> => (await call('GET', '/rooms', roomListSchema)).rooms,
    createRoom: (name: string, description?: string): Promise<Room> =>
      call('POST', '/rooms', roomSchema, description ? { name, description } : { name }),
    getRoom: (roomId: string): Promise<RoomDetails> => call('GET', `/rooms/${encodeURIComponent(roomId)}`, roomDetailsSchema),
    joinRoom: (roomId: string): Promise<Room> => call('POST', `/rooms/${encodeURIComponent(roomId)}/join`, roomSchema),
    leaveRoom: (roomId: string): Promise<void> => call<void>('POST', `/rooms/${encodeURIComponent(roomId)}/leave`, null),
    history: async (roomId: string, page: HistoryPage = {}): Promise<Message[]> => {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(page)) if (value !== undefined) query.set(key, String(value));
      const qs = query.size ? `?${query}` : '';
      return (await call('GET', `/rooms/${encodeURIComponent(roomId)}/messages${qs}`, historyResponseSchema)).messages;
    },
  };
}

async function toApiError(res: Response, onUnauthorized?: () => void): Promise<ApiError> {
  const retryHeader = Number(res.headers.get('Retry-After'));
  const retryAfter = Number.isFinite(retryHeader) && retryHeader > 0 ? Math.ceil(retryHeader) : undefined;
  const body = errorBodySchema.safeParse(await res.json().catch(() => undefined));
  const error = body.success ? body.data.error : { code: res.status >= 500 ? ('unavailable' as const) : ('internal' as const), message: '' };
  if (res.status === 401 && onUnauthorized) onUnauthorized();
  return new ApiError(error.code, error.message, res.status, retryAfter);
}
