import { createRestClient, type AuthResponse, type Message, type Room, type RoomDetails, type User } from '@chat/contract';

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

export type ApiClient = ReturnType<typeof createApiClient>;

/** The REST calls the web client makes, at `/api` on its own origin (behind nginx); failures throw the contract's RestError. */
export function createApiClient(options: ApiClientOptions) {
  const rest = createRestClient({ baseUrl: '', token: options.token, onUnauthorized: options.onUnauthorized });
  return {
    register: (username: string, password: string): Promise<AuthResponse> => rest.register({ body: { username, password } }),
    login: (username: string, password: string): Promise<AuthResponse> => rest.login({ body: { username, password } }),
    logout: (): Promise<void> => rest.logout(),
    me: (): Promise<User> => rest.me(),
    listRooms: async (): Promise<Room[]> => (await rest.listRooms()).rooms,
    createRoom: (name: string, description?: string): Promise<Room> => rest.createRoom({ body: description ? { name, description } : { name } }),
    getRoom: (roomId: string): Promise<RoomDetails> => rest.room({ params: { roomId } }),
    joinRoom: (roomId: string): Promise<Room> => rest.joinRoom({ params: { roomId } }),
    leaveRoom: async (roomId: string): Promise<void> => {
      await rest.leaveRoom({ params: { roomId } });
    },
    history: async (roomId: string, page: HistoryPage = {}): Promise<Message[]> => (await rest.history({ params: { roomId }, query: page })).messages,
  };
}
