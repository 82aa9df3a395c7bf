import type { Message } from './rest.js';
import { parseJsonOrUndefined } from './validation.js';

/** Where a MessageText keeps its parsed message (not enumerable: a MessageText compares by its text). */
const PARSED = Symbol('parsed');

/**
 * A message as JSON text, with the two fields delivery needs (its room and `seq`) read off the
 * text, and parsed only if something asks for the whole message. The services write a message's
 * JSON once (PostgreSQL's `chat_message_json`: compact, in the contract's key order, `id`,
 * `roomId`, `seq` first and `timestamp` last) and the gateways put that text on the wire as is;
 * parsing it and writing it again for each room and each ack was a tenth of a gateway's own work
 * in fan-out.
 */
export class MessageText {
  constructor(
    readonly json: string,
    readonly roomId: string,
    readonly seq: number,
    message?: Message,
  ) {
    if (message) keepParsed(this, message);
  }

  /** The message, parsed from its text the first time it is asked for. */
  get message(): Message {
    return (this as { [PARSED]?: Message })[PARSED] ?? keepParsed(this, JSON.parse(this.json) as Message);
  }

  /** A message's JSON text as the services write it; a text in another form is parsed (and must hold a room and a seq). */
  static of(json: string): MessageText {
    const head = readMessageHead(json, 0);
    if (head && head.end === json.length) return new MessageText(json, head.roomId, head.seq);
    const message = JSON.parse(json) as Message;
    if (!isMessageLike(message)) throw new TypeError('not a message: no roomId and seq');
    return new MessageText(json, message.roomId, message.seq, message);
  }

  static fromMessage(message: Message): MessageText {
    return new MessageText(JSON.stringify(message), message.roomId, message.seq, message);
  }
}

function keepParsed(text: MessageText, message: Message): Message {
  Object.defineProperty(text, PARSED, { value: message, enumerable: false });
  return message;
}

const isMessageLike = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && typeof (value as Message).roomId === 'string' && typeof (value as Message).seq === 'number';

const UUID_LENGTH = 36;
const ID_KEY = '{"id":"';
const ROOM_KEY = '","roomId":"';
const SEQ_KEY = '","seq":';
/** The last key; a JSON string never holds `","` unescaped, so its first match in a message is the key itself. */
const TIMESTAMP_KEY = '","timestamp":"';
const NEXT_MESSAGE = ',{"id":"';
/** `2026-12-02T13:05:24.123Z"}` */
const TIMESTAMP_TAIL = 24 + 2;

/**
 * The room, seq and end (one past the closing brace) of the message text starting at `from`,
 * if it is in the form the services write; undefined otherwise (the caller parses).
 */
function readMessageHead(text: string, from: number): { roomId: string; seq: number; end: number } | undefined {
  const roomAt = from + ID_KEY.length + UUID_LENGTH;
  const seqAt = roomAt + ROOM_KEY.length + UUID_LENGTH;
  if (!text.startsWith(ID_KEY, from) || !text.startsWith(ROOM_KEY, roomAt) || !text.startsWith(SEQ_KEY, seqAt)) return undefined;
  let seq = 0;
  let at = seqAt + SEQ_KEY.length;
  const digitsFrom = at;
  for (let c = text.charCodeAt(at); c >= 48 && c <= 57; c = text.charCodeAt(++at)) seq = seq * 10 + (c - 48);
  if (at === digitsFrom || at - digitsFrom > 15 || text.charCodeAt(at) !== 44 /* , */ || seq < 1) return undefined;
  const timestampAt = text.indexOf(TIMESTAMP_KEY, at);
  if (timestampAt < 0) return undefined;
  // A message without the key must not take the next one's: `,{"id":"` only ever starts an array's next message.
  const nextAt = text.indexOf(NEXT_MESSAGE, at);
  if (nextAt >= 0 && nextAt < timestampAt) return undefined;
  const end = timestampAt + TIMESTAMP_KEY.length + TIMESTAMP_TAIL;
  if (!text.startsWith('"}', end - 2)) return undefined;
  return { roomId: text.slice(roomAt + ROOM_KEY.length, seqAt), seq, end };
}

/**
 * The messages of a JSON array of message texts (`[m1,m2]`, as the services publish them), each its
 * own text; undefined when the array is not in that form.
 */
export function splitMessageTexts(text: string): MessageText[] | undefined {
  if (text.charCodeAt(0) !== 91 /* [ */ || text.charCodeAt(text.length - 1) !== 93 /* ] */) return undefined;
  const out: MessageText[] = [];
  if (text.length === 2) return out;
  let from = 1;
  for (;;) {
    const head = readMessageHead(text, from);
    if (!head) return undefined;
    out.push(new MessageText(text.slice(from, head.end), head.roomId, head.seq));
    const next = text.charCodeAt(head.end);
    if (next === 93 /* ] */) return head.end === text.length - 1 ? out : undefined;
    if (next !== 44 /* , */) return undefined;
    from = head.end + 1;
  }
}

/** The messages of a JSON array of messages in any form (the services' form is split without a parse); undefined if it is not one. */
export function readMessageTexts(text: string): MessageText[] | undefined {
  const split = splitMessageTexts(text);
  if (split) return split;
  const parsed = parseJsonOrUndefined(text);
  if (!Array.isArray(parsed) || !parsed.every(isMessageLike)) return undefined;
  return parsed.map((m: Message) => MessageText.fromMessage(m));
}
