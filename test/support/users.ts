import { ChatClient, type ChatClientOptions, type Message, type User } from '@chat/client';

export const TEST_PASSWORD = 'correct horse battery';

/** A test user: its SDK client (REST as this user in `client.rest`, its socket after `connect()`), token and account. */
export interface TestUser {
  client: ChatClient;
  token: string;
  user: User;
}

type ClientOptions = Omit<ChatClientOptions, 'baseUrl' | 'token'>;

/** Registers a user named `prefix` and a random suffix through the SDK. */
export async function registerUser(baseUrl: string, prefix: string, options: ClientOptions = {}): Promise<TestUser> {
  const client = new ChatClient({ baseUrl, ...options });
  const { token, user } = await client.register(`${prefix}_${Math.random().toString(36).slice(2, 10)}`, TEST_PASSWORD);
  return { client, token, user };
}

/** A second session of a user: logs in again, with a token of its own. */
export async function loginUser(baseUrl: string, username: string, options: ClientOptions = {}): Promise<TestUser> {
  const client = new ChatClient({ baseUrl, ...options });
  const { token, user } = await client.login(username, TEST_PASSWORD);
  return { client, token, user };
}

/** A room created by the first user that every other one joined over REST. */
export async function roomWith(users: readonly TestUser[], name = `room ${Math.random().toString(36).slice(2, 10)}`): Promise<string> {
  const [owner, ...others] = users;
  if (!owner) throw new Error('a room needs an owner');
  const room = await owner.client.rest.createRoom({ body: { name } });
  for (const u of others) await u.client.rest.joinRoom({ params: { roomId: room.id } });
  return room.id;
}

/** The room's latest 100 stored messages, as `user` reads them. */
export async function latestMessages(user: TestUser, roomId: string): Promise<Message[]> {
  return (await user.client.rest.history({ params: { roomId }, query: { limit: 100 } })).messages;
}

/** Every stored message of the room, read forward a page at a time. */
export async function storedMessages(user: TestUser, roomId: string): Promise<Message[]> {
  const stored: Message[] = [];
  for (let after = 0; ; ) {
    const { messages, hasMore } = await user.client.rest.history({ params: { roomId }, query: { after, limit: 100 } });
    stored.push(...messages);
    if (!hasMore || messages.length === 0) return stored;
    after = messages.at(-1)!.seq;
  }
}

/** A live message as history pages show it: with its reactions summary (none yet for a new message). */
export const asStored = (message: Message): Message => ({ ...message, reactions: message.reactions ?? [] });
