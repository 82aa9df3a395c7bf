import { jsonSchemaOf, type JsonSchema } from './openapi.js';
import { ackSchemas, clientEvents, serverEventSchemas, type ClientEventName, type ServerEventName } from './socket.js';

export interface AsyncApiOptions {
  /** The document's `info.version`. @default '0.1.0' */
  version?: string;
  /** The public entry's host[:port]. @default 'localhost:8080' */
  host?: string;
}

const clientEventDocs: Record<ClientEventName, string> = {
  'room:join':
    'Start receiving a room (the user must be a member, over REST first). With `since`, the ack carries up to 100 messages with seq > since in `missed`; page the rest over REST while `hasMore`.',
  'room:leave': "Stop receiving a room on this socket (the membership stays; REST's leave ends it).",
  'message:send':
    'Store a message (or run a command) and get its seq in the ack. A resend with the same clientId answers with the first message and creates nothing.',
  typing: 'Tell the room this user is (not) typing; it lapses after 5 s without renewal.',
  'room:read': "Move the caller's read cursor of a room forward to seq (never back); their other sockets get room:read.",
  'reaction:set': 'Add (on: true) or remove (on: false) the caller\'s reaction with one emoji on a message; idempotent, at most 20 distinct emoji per message.',
};

const serverEventDocs: Record<ServerEventName, string> = {
  message: "A room's next message, per room in seq order; the sender gets its own too.",
  presence: 'Someone in a room came online (first socket) or went offline (last socket), cluster-wide.',
  typing: 'Someone in a room is (no longer) typing.',
  'ai:delta': 'A piece of an AI answer as it streams; the whole answer follows as a message.',
  'session:ended': 'The server ends this socket for good (token expired, logged out, account deleted): log in again.',
  'room:read': "The user's read cursor of a room moved on another of their devices: clear the unread badge up to readSeq.",
  reaction: "Someone's reaction on a message of a joined room was added or removed; count is the emoji's count after it.",
  error: 'An event the server could not acknowledge (sent without an ack callback, or unknown); it was not processed.',
};

/** `room:join` → `roomJoin`: AsyncAPI ids take letters, digits, `.`, `-` and `_` only. */
const idOf = (event: string): string => event.replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase());

/**
 * The Socket.IO protocol as an AsyncAPI 3 document, generated from the contract's event tables and
 * zod schemas. It describes the gateway: it receives the client events (each answered by an ack,
 * the operation's reply) and sends the server events, all on the default namespace.
 */
export function asyncApiDocument(options: AsyncApiOptions = {}): JsonSchema {
  const messages: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const channelMessages: Record<string, JsonSchema> = {};
  const channel = { $ref: '#/channels/socket' };
  const addMessage = (id: string, message: JsonSchema): JsonSchema => {
    messages[id] = message;
    channelMessages[id] = { $ref: `#/components/messages/${id}` };
    return { $ref: `#/channels/socket/messages/${id}` };
  };

  for (const [event, { payload }] of Object.entries(clientEvents) as [ClientEventName, (typeof clientEvents)[ClientEventName]][]) {
    const id = idOf(event);
    const request = addMessage(id, {
      name: event,
      title: event,
      summary: clientEventDocs[event],
      payload: jsonSchemaOf(payload, 'input'),
    });
    const ack = addMessage(`${id}Ack`, {
      name: `${event} ack`,
      title: `${event} acknowledgement`,
      summary: 'The ack callback\'s one argument: `{ok: true, ...}` or `{ok: false, error: {code, message, retryAfterMs?}}`.',
      payload: jsonSchemaOf(ackSchemas[event], 'output'),
    });
    operations[id] = { action: 'receive', channel, summary: clientEventDocs[event], messages: [request], reply: { channel, messages: [ack] } };
  }
  for (const [event, schema] of Object.entries(serverEventSchemas) as [ServerEventName, (typeof serverEventSchemas)[ServerEventName]][]) {
    const id = idOf(event === 'message' || event === 'typing' || event === 'room:read' ? `${event}Event` : event);
    const message = addMessage(id, { name: event, title: event, summary: serverEventDocs[event], payload: jsonSchemaOf(schema, 'output') });
    operations[`send${id[0]!.toUpperCase()}${id.slice(1)}`] = { action: 'send', channel, summary: serverEventDocs[event], messages: [message] };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Chat platform Socket.IO protocol',
      version: options.version ?? '0.1.0',
      description:
        'Socket.IO v4 (Engine.IO 4) on the default namespace at /socket.io/, WebSocket or long-polling. The handshake authenticates with `auth: {token}` or an `Authorization: Bearer` header; a refused one gets `connect_error` with `data: {code, message}`. Each message below is one event: its name, then its payload; client events take an ack callback. See docs/protocol.md.',
    },
    defaultContentType: 'application/json',
    servers: {
      gateway: {
        host: options.host ?? 'localhost:8080',
        protocol: 'ws',
        pathname: '/socket.io/',
        description: 'The public entry (nginx), which spreads sockets over the gateways with sticky sessions.',
        security: [{ $ref: '#/components/securitySchemes/bearer' }],
      },
    },
    channels: { socket: { address: '/', title: 'The default namespace', messages: channelMessages } },
    operations,
    components: {
      messages,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The token from register or login, as `auth.token` in the Socket.IO handshake or an `Authorization: Bearer` header.',
        },
      },
    },
  };
}
