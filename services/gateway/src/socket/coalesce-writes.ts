import type { Socket as NetSocket } from 'node:net';
import { transports } from 'engine.io';

interface WsTransportLike {
  socket: { _socket?: NetSocket };
  send(packets: unknown[]): void;
}

const PATCHED = Symbol.for('chat.coalescedWebSocketWrites');

/**
 * Engine.IO's WebSocket transport writes each queued packet as a frame of its own,
 * one system call each, when it flushes a socket's backlog (what piled up while the
 * last write was in flight: a busy room's messages, an ack). Here a flush of more than
 * one packet corks the TCP socket around its frames, so they leave in one `writev`:
 * the same bytes in the same order, a system call per flush instead of per packet.
 * Idempotent; it changes the transport class, so every server in the process has it.
 */
export function coalesceWebSocketWrites(): void {
  const proto = (transports.websocket as unknown as { prototype: WsTransportLike & { [PATCHED]?: true } }).prototype;
  if (proto[PATCHED]) return;
  const send = proto.send;
  proto.send = function (this: WsTransportLike, packets: unknown[]): void {
    const tcp = packets.length > 1 ? this.socket._socket : undefined;
    tcp?.cork();
    try {
      send.call(this, packets);
    } finally {
      tcp?.uncork();
    }
  };
  proto[PATCHED] = true;
}
