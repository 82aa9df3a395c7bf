import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { AiDeltaEvent, Message, MessageSendResult, PresenceEvent, ReactionEvent, RoomJoinResult, RoomReadEvent, SessionEndReason, TypingEvent } from '@chat/contract';
import type { ChatError } from './errors.js';
import type { SendState } from './outbox.js';
import type { RoomSyncEvent, RoomSyncOptions } from './room-sync.js';

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

/** A send's progress, from `waiting` to `sent` or `failed`: what a UI shows beside the message. */
export type SendEvent = { roomId: string; clientId: string; content: string } & (
  | { state: SendState }
  | { state: 'sent'; result: MessageSendResult }
  | { state: 'failed'; error: ChatError }
);

/** What the client knows of a joined room. */
export interface RoomState {
  /** Joined on the current connection: its sends go out. */
  live: boolean;
  /** Up to which seq every message was delivered. */
  contiguous: number | undefined;
  /** The lowest seq held; `loadOlder` reads below it. */
  oldest: number | undefined;
  /** Whether older messages exist than those held. */
  hasOlder: boolean;
}

/** What a ChatClient emits. */
export interface ChatClientEvents extends Record<string, unknown> {
  /** A room's next message: per room in seq order, each once, across reconnects. */
  message: Message;
  presence: PresenceEvent;
  typing: TypingEvent;
  'ai:delta': AiDeltaEvent;
  /** This user's read cursor of a room moved on another of their connections (a read there, or a message sent there). */
  'room:read': RoomReadEvent;
  /** A reaction on a message of a joined room was added or removed (by anyone, this client included); `count` is the emoji's count after it. */
  reaction: ReactionEvent;
  /** The server ended the session for good (token expired, logged out, account deleted): log in again. */
  'session:ended': { reason: SessionEndReason };
  /** The connection went up or down (it comes back by itself while the token is good); `error`: why an attempt failed. */
  connection: { state: ConnectionState; error?: ChatError };
  /** A room was (re)joined on a connection and its `missed` delivered (REST paging may follow: see `room`). */
  joined: RoomJoinResult & { roomId: string };
  /** A joined room caught up (`synced`), is tried again after a failure (`retrying`), or was refused and dropped. */
  room: RoomSyncEvent;
  /** A send moved on: waiting, sending, unconfirmed, then sent or failed. */
  send: SendEvent;
  /** Something went wrong in the background: a join refused, an event the server could not acknowledge. */
  error: ChatError;
}

export interface ChatClientOptions {
  /** The public entry, e.g. `https://chat.example`; '' for the page's own origin (a browser). */
  baseUrl: string;
  /** A token from an earlier login, if any. */
  token?: string;
  /** Messages read over REST when a room is first joined, so the feed starts from the room's latest. @default 50 */
  initialHistory?: number;
  /** How long an event waits for its acknowledgement before it counts as unanswered. @default 15000 */
  ackTimeoutMs?: number;
  /** socket.io-client's options (`transports`, `reconnectionDelayMax`, …). */
  socket?: Partial<ManagerOptions & SocketOptions>;
  /** Waits between tries of a failed join, and how long a gap in live delivery may last. */
  rooms?: RoomSyncOptions;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Makes a clientId for each send. @default newClientId (crypto.randomUUID where there is one) */
  newClientId?: () => string;
}

export interface SendOptions {
  /** The message's clientId; give your own to resend something across app restarts. */
  clientId?: string;
}
