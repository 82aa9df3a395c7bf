import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coalesceWebSocketWrites } from './coalesce-writes.js';

let http: HttpServer;
let server: Server;
let url: string;
const clients: ClientSocket[] = [];

beforeAll(async () => {
  coalesceWebSocketWrites();
  http = createServer();
  server = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server.close();
});

/** Counts the writes (system calls, one per `_write` or `_writev`) made on a server-side TCP socket. */
function countWrites(tcp: NetSocket): () => number {
  let writes = 0;
  const raw = tcp as NetSocket & { _write: (...args: unknown[]) => void; _writev: (...args: unknown[]) => void };
  const write = raw._write.bind(raw);
  const writev = raw._writev.bind(raw);
  raw._write = (...args) => {
    writes++;
    write(...args);
  };
  raw._writev = (...args) => {
    writes++;
    writev(...args);
  };
  return () => writes;
}

describe('coalesced WebSocket writes', () => {
  it('sends a burst of packets to one socket in a few writes, complete and in order', async () => {
    const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(url, { transports: ['websocket'], forceNew: true });
    clients.push(client);
    const socket = await connected;
    const tcp = (socket.conn as unknown as { transport: { socket: { _socket: NetSocket } } }).transport.socket._socket;
    const writes = countWrites(tcp);
    const received: number[] = [];
    const all = new Promise<void>((resolve) => {
      client.on('n', (n: number) => {
        received.push(n);
        if (received.length === 200) resolve();
      });
    });
    for (let n = 1; n <= 200; n++) socket.emit('n', n);
    await all;
    expect(received).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // The first packet is written at once; the 199 that queued behind it leave together.
    expect(writes()).toBeLessThanOrEqual(4);
  });
});
