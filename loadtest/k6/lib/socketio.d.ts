/** Types of socketio.js for the TypeScript that imports it (the Node framing test). */

export declare const EIO: { OPEN: '0'; CLOSE: '1'; PING: '2'; PONG: '3'; MESSAGE: '4'; UPGRADE: '5'; NOOP: '6' };
export declare const SIO: { CONNECT: '0'; DISCONNECT: '1'; EVENT: '2'; ACK: '3'; CONNECT_ERROR: '4' };

export interface EngineHandshake {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

export type Packet =
  | { kind: 'open'; handshake: EngineHandshake }
  | { kind: 'ping'; data: string }
  | { kind: 'pong'; data: string }
  | { kind: 'close' }
  | { kind: 'noop' }
  | { kind: 'connect'; nsp: string; data: { sid: string } | undefined }
  | { kind: 'connect_error'; nsp: string; data: { message: string; data?: unknown } }
  | { kind: 'disconnect'; nsp: string }
  | { kind: 'event'; nsp: string; name: string; args: unknown[]; ackId: number | undefined }
  | { kind: 'ack'; nsp: string; ackId: number; args: unknown[] }
  | { kind: 'unknown'; raw: string };

export declare function socketUrl(baseUrl: string, path?: string): string;
export declare function encodeConnect(auth?: object): string;
export declare function encodeEvent(event: string, args?: unknown[], ackId?: number): string;
export declare function encodeAck(ackId: number, args?: unknown[]): string;
export declare function decodeFrame(frame: string): Packet;

export interface SessionHandlers {
  onConnect?(data: { sid: string } | undefined): void;
  onConnectError?(data: { message: string; data?: unknown }): void;
  onEvent?(name: string, args: unknown[], reply: (...args: unknown[]) => void): void;
  onDisconnect?(reason: string): void;
  onPing?(): void;
}

export interface Session {
  state: 'opening' | 'connecting' | 'connected' | 'refused' | 'closed';
  handshake: EngineHandshake | undefined;
  id: string | undefined;
  pingsAnswered: number;
  receive(frame: string): Packet;
  emit(event: string, payload?: unknown, onAck?: (...args: unknown[]) => void): number | undefined;
  pendingAcks(): number;
  disconnect(): void;
}

export declare function createSession(send: (frame: string) => void, auth: object | undefined, handlers?: SessionHandlers): Session;
