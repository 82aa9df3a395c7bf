// Socket.IO v5 over Engine.IO v4, WebSocket transport only, as plain JavaScript with no
// imports: the k6 scripts (k6/ws) and the Node test (ws) both drive a session with it, so
// the protocol logic the k6 scripts rely on is proven against the real cluster.
//
// Engine.IO frames are text: a packet type digit, then data.
//   0{"sid":…,"pingInterval":…,"pingTimeout":…}  open (server → client)
//   2 / 3                                         ping (server) / pong (client answers)
//   1 close, 6 noop, 4<socket.io packet>          message
// Socket.IO packets inside an Engine.IO message: a type digit, [namespace,] [ack id] JSON.
//   40{"token":…}            CONNECT with auth       40{"sid":…}  connected
//   44{"message":…}          CONNECT_ERROR            41           DISCONNECT
//   42["event",…]            EVENT                    42<id>["event",…]  EVENT wanting an ack
//   43<id>[…]                ACK (answer to an event the other side sent with <id>)
// Keep to ES2015 (no ?. or ??): k6 runs it too.

export var EIO = { OPEN: '0', CLOSE: '1', PING: '2', PONG: '3', MESSAGE: '4', UPGRADE: '5', NOOP: '6' };
export var SIO = { CONNECT: '0', DISCONNECT: '1', EVENT: '2', ACK: '3', CONNECT_ERROR: '4' };

/** ws:// or wss:// URL of the Socket.IO endpoint behind `baseUrl` (http(s)://host[:port]). */
export function socketUrl(baseUrl, path) {
  var base = String(baseUrl).replace(/\/+$/, '').replace(/^http/, 'ws');
  return base + (path || '/socket.io/') + '?EIO=4&transport=websocket';
}

export function encodeConnect(auth) {
  return EIO.MESSAGE + SIO.CONNECT + (auth === undefined ? '' : JSON.stringify(auth));
}

export function encodeEvent(event, args, ackId) {
  return EIO.MESSAGE + SIO.EVENT + (ackId === undefined ? '' : String(ackId)) + JSON.stringify([event].concat(args || []));
}

export function encodeAck(ackId, args) {
  return EIO.MESSAGE + SIO.ACK + String(ackId) + JSON.stringify(args || []);
}

function parseJson(text) {
  if (text === '') return undefined;
  return JSON.parse(text);
}

/**
 * One text frame → a packet:
 * {kind: 'open', handshake} | {kind: 'ping'} | {kind: 'pong'} | {kind: 'close'} | {kind: 'noop'} |
 * {kind: 'connect', data} | {kind: 'connect_error', data} | {kind: 'disconnect'} |
 * {kind: 'event', name, args, ackId} | {kind: 'ack', ackId, args} | {kind: 'unknown', raw}
 */
export function decodeFrame(frame) {
  var text = String(frame);
  var type = text.charAt(0);
  if (type === EIO.OPEN) return { kind: 'open', handshake: parseJson(text.slice(1)) };
  if (type === EIO.PING) return { kind: 'ping', data: text.slice(1) };
  if (type === EIO.PONG) return { kind: 'pong', data: text.slice(1) };
  if (type === EIO.CLOSE) return { kind: 'close' };
  if (type === EIO.NOOP) return { kind: 'noop' };
  if (type !== EIO.MESSAGE) return { kind: 'unknown', raw: text };

  var sioType = text.charAt(1);
  var i = 2;
  var nsp = '/';
  if (text.charAt(i) === '/') {
    var comma = text.indexOf(',', i);
    nsp = comma < 0 ? text.slice(i) : text.slice(i, comma);
    i = comma < 0 ? text.length : comma + 1;
  }
  var idStart = i;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  var ackId = i > idStart ? Number(text.slice(idStart, i)) : undefined;
  var data = parseJson(text.slice(i));

  if (sioType === SIO.CONNECT) return { kind: 'connect', nsp: nsp, data: data };
  if (sioType === SIO.CONNECT_ERROR) return { kind: 'connect_error', nsp: nsp, data: data };
  if (sioType === SIO.DISCONNECT) return { kind: 'disconnect', nsp: nsp };
  if (sioType === SIO.EVENT) return { kind: 'event', nsp: nsp, name: data[0], args: data.slice(1), ackId: ackId };
  if (sioType === SIO.ACK) return { kind: 'ack', nsp: nsp, ackId: ackId, args: data };
  return { kind: 'unknown', raw: text };
}

/**
 * A Socket.IO client session over any WebSocket: feed it every received text frame
 * with `receive(frame)`; it answers pings, sends CONNECT with `auth` once the
 * Engine.IO handshake arrives, matches acks to their callbacks and hands events to
 * `handlers.onEvent(name, args, reply)`.
 *
 * handlers: { onConnect(data), onConnectError(data), onEvent(name, args, reply), onDisconnect(reason), onPing() }
 */
export function createSession(send, auth, handlers) {
  var h = handlers || {};
  var nextAckId = 0;
  var pending = {};
  var session = {
    /** 'opening' → 'connecting' → 'connected' | 'refused' | 'closed' */
    state: 'opening',
    handshake: undefined,
    id: undefined,
    pingsAnswered: 0,

    receive: function (frame) {
      var packet = decodeFrame(frame);
      switch (packet.kind) {
        case 'open':
          session.handshake = packet.handshake;
          session.state = 'connecting';
          send(encodeConnect(auth));
          break;
        case 'ping':
          send(EIO.PONG + packet.data);
          session.pingsAnswered++;
          if (h.onPing) h.onPing();
          break;
        case 'connect':
          session.state = 'connected';
          session.id = packet.data && packet.data.sid;
          if (h.onConnect) h.onConnect(packet.data);
          break;
        case 'connect_error':
          session.state = 'refused';
          if (h.onConnectError) h.onConnectError(packet.data);
          break;
        case 'disconnect':
        case 'close':
          session.state = 'closed';
          if (h.onDisconnect) h.onDisconnect(packet.kind === 'close' ? 'transport close' : 'server disconnect');
          break;
        case 'event':
          if (h.onEvent) {
            var id = packet.ackId;
            h.onEvent(packet.name, packet.args, function () {
              if (id !== undefined) send(encodeAck(id, Array.prototype.slice.call(arguments)));
            });
          }
          break;
        case 'ack': {
          var callback = pending[packet.ackId];
          if (callback) {
            delete pending[packet.ackId];
            callback.apply(null, packet.args);
          }
          break;
        }
        default:
          break;
      }
      return packet;
    },

    /** Sends an event; with `onAck`, asks for an acknowledgement and calls it with the answer. */
    emit: function (event, payload, onAck) {
      var args = payload === undefined ? [] : [payload];
      if (typeof onAck === 'function') {
        var id = nextAckId++;
        pending[id] = onAck;
        send(encodeEvent(event, args, id));
        return id;
      }
      send(encodeEvent(event, args));
      return undefined;
    },

    /** Acks still awaited. */
    pendingAcks: function () {
      return Object.keys(pending).length;
    },

    /** Leaves politely (Socket.IO DISCONNECT); the caller then closes the WebSocket. */
    disconnect: function () {
      if (session.state === 'connected') send(EIO.MESSAGE + SIO.DISCONNECT);
      session.state = 'closed';
    },
  };
  return session;
}
