import { createRestClient, type AuthResponse, type HistoryResponse, type Message, type RestClient, type Room, type RoomDetails } from '@chat/contract';

export const TEST_PASSWORD = 'correct horse battery';

/** The REST calls a client makes through nginx, on the contract's REST client, with test accounts and rooms named at random. */
export class Rest {
  readonly api: RestClient;

  constructor(readonly baseUrl: string) {
    this.api = createRestClient({ baseUrl });
  }

  register(prefix: string): Promise<AuthResponse> {
    const username = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
    return this.api.register({ body: { username, password: TEST_PASSWORD } });
  }

  login(username: string): Promise<AuthResponse> {
    return this.api.login({ body: { username, password: TEST_PASSWORD } });
  }

  logout(token: string): Promise<void> {
    return this.api.logout({ token });
  }

  createRoom(token: string, name = `room ${Math.random().toString(36).slice(2, 10)}`): Promise<Room> {
    return this.api.createRoom({ token, body: { name } });
  }

  joinRoom(token: string, roomId: string): Promise<Room> {
    return this.api.joinRoom({ token, params: { roomId } });
  }

  room(token: string, roomId: string): Promise<RoomDetails> {
    return this.api.room({ token, params: { roomId } });
  }

  history(token: string, roomId: string, query: { limit?: number; after?: number; before?: number } = {}): Promise<HistoryResponse> {
    return this.api.history({ token, params: { roomId }, query });
  }

  /** The room's latest 100 messages. */
  async messages(token: string, roomId: string): Promise<Message[]> {
    return (await this.history(token, roomId, { limit: 100 })).messages;
  }
}
