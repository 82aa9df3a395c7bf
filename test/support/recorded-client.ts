import { ChatClient, type AiDeltaEvent, type ChatClientOptions, type Message } from '@chat/client';
import { waitFor } from '@chat/testkit';

export type RecordedClientOptions = Omit<ChatClientOptions, 'baseUrl' | 'token'>;

/**
 * The replica behind the client's connection, or undefined while it has none: nginx routes by
 * the Engine.IO session id, which starts with the gateway's replica id (`gw1.…`). ChatClient
 * keeps its socket to itself, so this reads it as test/sdk does; a ChatClient without one
 * fails `RecordedClient.on` loudly rather than landing anywhere.
 */
export function replicaOf(client: ChatClient): string | undefined {
  const id = (client as unknown as { socket?: { io?: { engine?: { id?: unknown } } } }).socket?.io?.engine?.id;
  return typeof id === 'string' && id.includes('.') ? id.slice(0, id.indexOf('.')) : undefined;
}

/**
 * An SDK client through nginx that keeps what it hands on, for a test to look at: its
 * messages (per room in seq order, each once, across reconnects — the SDK's promise), AI
 * deltas, and the replica of each connection on which it (re)joined a room.
 */
export class RecordedClient {
  readonly messages: Message[] = [];
  readonly deltas: AiDeltaEvent[] = [];
  /** The replica of each (re)join, in order: one room per client makes it one entry per connection. */
  readonly sessions: string[] = [];

  constructor(readonly chat: ChatClient) {
    chat.on('message', (m) => this.messages.push(m));
    chat.on('ai:delta', (d) => this.deltas.push(d));
    chat.on('joined', () => this.sessions.push(replicaOf(chat) ?? 'unknown'));
  }

  /** Connects through nginx until the connection lands on `replicaId` (new sessions are spread over the gateways). */
  static async on(baseUrl: string, replicaId: string, token: string, options: RecordedClientOptions = {}): Promise<RecordedClient> {
    // nginx sends a new session to the gateway with the fewest connections in its pool. WebSocket
    // sessions stay in that pool, so misses held open until the target is hit move its choice along.
    const misses: ChatClient[] = [];
    try {
      for (let attempt = 0; attempt < 30; attempt++) {
        const chat = new ChatClient({ baseUrl, token, ...options, socket: { transports: ['websocket'], ...options.socket } });
        misses.push(chat);
        await chat.connect();
        const replica = replicaOf(chat);
        if (replica === undefined) throw new Error('cannot tell the replica of a ChatClient connection (did ChatClient stop keeping `socket`?)');
        if (replica === replicaId) return new RecordedClient(misses.pop()!);
      }
    } finally {
      for (const miss of misses) miss.close();
    }
    throw new Error(`no session landed on ${replicaId} in 30 tries`);
  }

  /** The room's messages handed on so far, by seq. */
  seen(roomId: string): Map<number, Message> {
    return new Map(this.messages.filter((m) => m.roomId === roomId).map((m) => [m.seq, m]));
  }

  async waitForMessage(what: string, match: (m: Message) => boolean, timeoutMs = 30_000): Promise<Message> {
    await waitFor(what, () => this.messages.some(match), timeoutMs);
    return this.messages.find(match)!;
  }

  /** Resolves once `count` (re)joins have happened. */
  joined(count: number, timeoutMs = 20_000): Promise<void> {
    return waitFor(`${count} joins (${this.sessions.length} so far)`, () => this.sessions.length >= count, timeoutMs, 25);
  }

  close(): void {
    this.chat.close();
  }
}
