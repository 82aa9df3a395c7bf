import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a real server, to make it unreachable on demand:
 * `blackhole()` cuts every open connection and then accepts new ones without
 * ever answering (as a hung or partitioned database does); `cutOn()` cuts the
 * connection that sends one chosen request; after `close()` connections are refused.
 */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1') {
  let mode: 'forward' | 'blackhole' = 'forward';
  let cutPattern: RegExp | undefined;
  const open = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
    if (mode === 'blackhole') return;
    const upstream = connect(targetPort, targetHost);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      if (cutPattern?.test(chunk.toString('latin1'))) {
        socket.destroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    /** Connections accepted so far. */
    accepted: () => accepted,
    /**
     * Cuts a connection (both ways) whenever the client sends bytes matching
     * `pattern` (e.g. one Redis command), before they reach the server; `undefined` stops it.
     */
    cutOn(pattern: RegExp | undefined) {
      cutPattern = pattern;
    },
    blackhole() {
      mode = 'blackhole';
      for (const s of open) s.destroy();
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
