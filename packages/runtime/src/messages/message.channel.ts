import { parseJsonOrUndefined, readMessageTexts, type AiDeltaEvent, type MessageText } from '@chat/contract';
import type { RedisClient } from '../redis/client.js';
import { redisKeys } from '../redis/keys.js';

/**
 * Stored messages travel to the gateways on their room's sharded channel rather than
 * as Socket.IO broadcasts: each gateway puts every room's messages back in `seq` order
 * before its sockets see them (messages committed on different replicas can cross on
 * the way), which a broadcast straight into the room could not do. A gateway reads the
 * channel of a room only while it holds a socket in it, so a message costs nothing to
 * the gateways that have no one to give it to.
 *
 * A payload is `<origin> <kind> <json>`: who published it (a gateway's replica id,
 * `api`, `bot-worker`), then `messages` and the messages as a JSON array, exactly as
 * PostgreSQL wrote them (`chat_message_json`); or `delta` and one AI answer chunk; or
 * `leave` and `{roomId, userId}`: a user left the room over REST, and the gateways take
 * that user's sockets out of it. The leave follows the user's "left" message on the same
 * channel, so each gateway has that message in hand (and has given it to the user's
 * sockets) before it acts on the leave. A gateway skips what it published itself (it
 * delivered that already) unparsed.
 */
export interface RoomBroadcast {
  channel: string;
  payload: string;
}

export const encodeRoomMessages = (origin: string, roomId: string, jsons: readonly string[]): RoomBroadcast => ({
  channel: redisKeys.roomChannel(roomId),
  payload: `${origin} messages [${jsons.join(',')}]`,
});

export const encodeRoomDelta = (origin: string, delta: AiDeltaEvent): RoomBroadcast => ({
  channel: redisKeys.roomChannel(delta.roomId),
  payload: `${origin} delta ${JSON.stringify(delta)}`,
});

export const encodeRoomLeave = (origin: string, leave: RoomLeave): RoomBroadcast => ({
  channel: redisKeys.roomChannel(leave.roomId),
  payload: `${origin} leave ${JSON.stringify({ roomId: leave.roomId, userId: leave.userId })}`,
});

export interface RoomLeave {
  roomId: string;
  userId: string;
}

/** Publishes stored messages of one room (their JSON text) to the gateways that hold it. */
export async function publishRoomMessages(redis: Pick<RedisClient, 'spublish'>, origin: string, roomId: string, jsons: readonly string[]): Promise<void> {
  if (jsons.length === 0) return;
  const { channel, payload } = encodeRoomMessages(origin, roomId, jsons);
  await redis.spublish(channel, payload);
}

/** Publishes stored messages of any rooms, one payload per room. */
export async function publishMessages(redis: Pick<RedisClient, 'spublish'>, origin: string, messages: readonly Pick<MessageText, 'roomId' | 'json'>[]): Promise<void> {
  const byRoom = new Map<string, string[]>();
  for (const { roomId, json } of messages) {
    const jsons = byRoom.get(roomId);
    if (jsons) jsons.push(json);
    else byRoom.set(roomId, [json]);
  }
  await Promise.all([...byRoom].map(([roomId, jsons]) => publishRoomMessages(redis, origin, roomId, jsons)));
}

/** Tells the gateways holding the room to take the user's sockets out of it. */
export async function publishRoomLeave(redis: Pick<RedisClient, 'spublish'>, origin: string, leave: RoomLeave): Promise<void> {
  const { channel, payload } = encodeRoomLeave(origin, leave);
  await redis.spublish(channel, payload);
}

export type RoomEvent = { kind: 'messages'; messages: MessageText[] } | { kind: 'delta'; delta: AiDeltaEvent } | { kind: 'leave'; leave: RoomLeave };

const isLeave = (value: unknown): value is RoomLeave =>
  typeof value === 'object' && value !== null && typeof (value as RoomLeave).roomId === 'string' && typeof (value as RoomLeave).userId === 'string';
const isDelta = (value: unknown): value is AiDeltaEvent =>
  typeof value === 'object' && value !== null && typeof (value as AiDeltaEvent).roomId === 'string' && typeof (value as AiDeltaEvent).delta === 'string';

/**
 * The event of a payload and who published it, or undefined when it is not one of ours.
 * Our own services publish on these channels, so an event is only checked for what
 * delivery reads (`roomId`, and a message's `seq`), not parsed against the whole schema again;
 * messages in the form PostgreSQL writes them are not parsed at all (MessageText).
 */
export function decodeRoomPayload(payload: string): { origin: string; event: RoomEvent } | undefined {
  const first = payload.indexOf(' ');
  const second = first > 0 ? payload.indexOf(' ', first + 1) : -1;
  if (second < 0) return undefined;
  const kind = payload.slice(first + 1, second);
  const origin = payload.slice(0, first);
  const body = payload.slice(second + 1);
  if (kind === 'messages') {
    const messages = readMessageTexts(body);
    return messages ? { origin, event: { kind, messages } } : undefined;
  }
  const parsed = parseJsonOrUndefined(body);
  if (kind === 'delta' && isDelta(parsed)) return { origin, event: { kind, delta: parsed } };
  if (kind === 'leave' && isLeave(parsed)) return { origin, event: { kind, leave: { roomId: parsed.roomId, userId: parsed.userId } } };
  return undefined;
}
