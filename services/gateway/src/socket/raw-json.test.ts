import { describe, expect, it } from 'vitest';
import { Encoder, PacketType, type Packet } from 'socket.io-parser';
import { RawJson, rawJsonParser } from './raw-json.js';

const stock = new Encoder();
const ours = new rawJsonParser.Encoder();
const message = { id: 'm', roomId: 'r', seq: 3, type: 'message', content: 'say "hi" ✓', sender: { id: 'u', username: 'alice' }, clientId: 'c', timestamp: '2026-12-02T13:05:24.123Z' };
const text = JSON.stringify(message);

/** The packet with each RawJson replaced by what its text parses to: what the stock encoder would have been given. */
const parsed = (packet: Packet): Packet => JSON.parse(JSON.stringify(packet, (_, v: unknown) => (v instanceof RawJson ? JSON.parse(v.json) : v))) as Packet;

describe("the gateway's Socket.IO encoder", () => {
  it.each<[string, Packet]>([
    ['a message event', { type: PacketType.EVENT, nsp: '/', data: ['message', new RawJson(text)] }],
    ['an ack of a send', { type: PacketType.ACK, nsp: '/', id: 12, data: [{ ok: true, message: new RawJson(text) }] }],
    ['an ack in another namespace', { type: PacketType.ACK, nsp: '/admin', id: 0, data: [{ ok: true, message: new RawJson(text), note: 'x' }] }],
    ['an event with an id', { type: PacketType.EVENT, nsp: '/', id: 7, data: ['message', new RawJson(text), { more: [1, 'two'] }] }],
  ])('writes %s as the stock encoder writes its parsed form, the text as is', (_, packet) => {
    const [frame] = ours.encode(packet) as string[];
    expect(frame).toBe((stock.encode(parsed(packet)) as string[])[0]);
    expect(frame).toContain(text);
  });

  it('leaves out keys without a JSON form and writes array arguments without one as null, as JSON.stringify does', () => {
    const packet: Packet = { type: PacketType.ACK, nsp: '/', id: 1, data: [{ ok: true, gone: undefined, message: new RawJson(text) }, undefined] };
    expect(ours.encode(packet)).toEqual([`31[{"ok":true,"message":${text}},null]`]);
  });

  it('hands every other packet to the stock encoder, binary ones included', () => {
    const packets: Packet[] = [
      { type: PacketType.EVENT, nsp: '/', data: ['message', message] },
      { type: PacketType.ACK, nsp: '/', id: 4, data: [{ ok: false, error: { code: 'validation', message: 'no' } }] },
      { type: PacketType.CONNECT, nsp: '/', data: { sid: 'abc' } },
      { type: PacketType.EVENT, nsp: '/', data: ['file', Buffer.from('hi')] },
    ];
    for (const packet of packets) expect(ours.encode(packet)).toEqual(stock.encode(packet));
  });
});
