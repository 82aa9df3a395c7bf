import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';

/**
 * A value that goes on the wire as the JSON text it holds (a message as PostgreSQL wrote it), not
 * re-encoded. Only this gateway's encoder knows it: use it in events to local sockets
 * (`server.local`, a socket's own emit) and in acks, never in a broadcast the Redis adapter
 * carries to other replicas.
 */
export class RawJson {
  constructor(readonly json: string) {}
}

/** `json` in the place of a `T` (a handler's result, an event's payload), written as is. */
export const rawJson = <T>(json: string): T => new RawJson(json) as unknown as T;

const write = (value: unknown): string | undefined => (value instanceof RawJson ? value.json : JSON.stringify(value));

const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Whether an argument is a RawJson or holds one among its own values. */
function holdsRawJson(arg: unknown): boolean {
  if (arg instanceof RawJson) return true;
  if (!isPlainObject(arg)) return false;
  for (const key in arg) if (Object.hasOwn(arg, key) && arg[key] instanceof RawJson) return true;
  return false;
}

/** An object written key by key, its RawJson values as their text. */
function writeObject(value: Record<string, unknown>): string {
  let text = '';
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const written = write(value[key]);
    // As JSON.stringify: a key whose value has no JSON form (undefined, a function) is left out.
    if (written !== undefined) text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${written}`;
  }
  return `{${text}}`;
}

/**
 * A packet's arguments with RawJson in them (as an argument, or a value of an argument), else
 * undefined: a packet without one is left to the stock encoder, written once.
 */
function writeArguments(data: unknown[]): string | undefined {
  if (!data.some(holdsRawJson)) return undefined;
  // As JSON.stringify writes an array: an argument with no JSON form is null.
  const parts = data.map((arg) => (arg instanceof RawJson ? arg.json : holdsRawJson(arg) ? writeObject(arg as Record<string, unknown>) : (JSON.stringify(arg) ?? 'null')));
  return `[${parts.join(',')}]`;
}

/**
 * Socket.IO's encoder, writing RawJson values as their text: a message event is built from the
 * stored text (`2["message",{…}]`) once per room, and a send's ack (`{ok: true, message: {…}}`)
 * likewise, where the stock encoder would stringify the parsed message again. Every other packet
 * is the stock encoder's.
 */
class RawJsonEncoder extends Encoder {
  override encode(packet: Packet): ReturnType<Encoder['encode']> {
    if ((packet.type === PacketType.EVENT || packet.type === PacketType.ACK) && Array.isArray(packet.data)) {
      // A packet with RawJson in it carries no binary (a message is text), so it is one string.
      const body = writeArguments(packet.data as unknown[]);
      if (body !== undefined) {
        let head = String(packet.type);
        if (packet.nsp && packet.nsp !== '/') head += `${packet.nsp},`;
        if (packet.id !== undefined && packet.id !== null) head += String(packet.id);
        return [head + body];
      }
    }
    return super.encode(packet);
  }
}

/** The `parser` option of the gateway's Socket.IO server (clients keep the stock parser: the wire is the same). */
export const rawJsonParser = { Encoder: RawJsonEncoder, Decoder };
