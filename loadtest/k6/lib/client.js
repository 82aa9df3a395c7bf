// One Socket.IO session over k6/ws, driven by socketio.js (the framing the Node test proves).
import ws from 'k6/ws';
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { createSession, socketUrl } from './socketio.js';
import { BASE_URL } from './config.js';

export var connectTime = new Trend('socketio_connect_time', true);
export var connectOk = new Rate('socketio_connect_ok');
export var ackLatency = new Trend('socketio_ack_latency', true);
export var ackOk = new Rate('socketio_ack_ok');
export var deliveryLatency = new Trend('chat_delivery_latency', true);
export var delivered = new Counter('chat_messages_received');
export var outOfOrder = new Counter('chat_out_of_order');
export var duplicates = new Counter('chat_duplicates');
export var gaps = new Counter('chat_gaps');

/**
 * Opens a socket with `token`, and once Socket.IO is connected calls
 * `onConnected(api)` where api = {session, socket, call(event, payload, cb), close()}.
 * `onMessage(message, api)` gets every chat `message` event; delivery latency is measured
 * for contents that start with `k6 <epoch ms>` and seq order is checked per room.
 */
export function runSocket(token, handlers) {
  var started = Date.now();
  var lastSeq = {};
  var api;
  var res = ws.connect(socketUrl(BASE_URL), { tags: { name: 'socket.io' } }, function (socket) {
    var session = createSession(function (frame) { socket.send(frame); }, { token: token }, {
      onConnect: function () {
        connectTime.add(Date.now() - started);
        connectOk.add(1);
        if (handlers.onConnected) handlers.onConnected(api);
      },
      onConnectError: function (data) {
        connectOk.add(0);
        console.warn('connect_error: ' + (data && data.message));
        socket.close();
      },
      onEvent: function (name, args) {
        if (name !== 'message') return;
        var message = args[0];
        var previous = lastSeq[message.roomId];
        if (previous !== undefined) {
          if (message.seq === previous) duplicates.add(1);
          else if (message.seq < previous) outOfOrder.add(1);
          else if (message.seq > previous + 1) gaps.add(message.seq - previous - 1);
        }
        if (previous === undefined || message.seq > previous) lastSeq[message.roomId] = message.seq;
        var sentAt = /^k6 (\d+)/.exec(message.content || '');
        if (sentAt) deliveryLatency.add(Date.now() - Number(sentAt[1]));
        delivered.add(1);
        if (handlers.onMessage) handlers.onMessage(message, api);
      },
      onDisconnect: function () { socket.close(); },
    });
    api = {
      session: session,
      socket: socket,
      lastSeq: lastSeq,
      call: function (event, payload, cb) {
        var at = Date.now();
        var tags = { event: event.replace(/:/g, '_') }; // room_join, message_send: tag values without ':'
        session.emit(event, payload, function (answer) {
          ackLatency.add(Date.now() - at, tags);
          ackOk.add(answer && answer.ok ? 1 : 0, tags);
          if (cb) cb(answer);
        });
      },
      close: function () {
        session.disconnect();
        socket.close();
      },
    };
    socket.on('message', function (frame) { session.receive(frame); });
    socket.on('error', function (e) {
      connectOk.add(0);
      console.warn('websocket error: ' + e.error());
    });
    if (handlers.onOpen) handlers.onOpen(api);
  });
  check(res, { 'websocket upgraded (101)': function (r) { return r && r.status === 101; } });
  return res;
}

/** A content whose latency every receiver can measure, padded to about `bytes`. */
export function timedContent(bytes) {
  var head = 'k6 ' + Date.now() + ' ';
  var pad = Math.max(0, (bytes || 0) - head.length);
  return head + 'x'.repeat(pad);
}

export function uuid() {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, function (c) {
    var r = (Math.random() * 16) | 0;
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}
