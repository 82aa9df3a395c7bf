// Room fan-out: ROOMS rooms of ROOM_SIZE sockets; SENDERS sockets per room each send a
// message every SEND_INTERVAL_MS. Every receiver measures delivery latency from the
// send time carried in the content and checks seq order. The gateways' per-user rate
// limit must allow the send rate (RATE_LIMIT_MESSAGES, per minute).
//   k6 run -e BASE_URL=http://localhost:8080 -e ROOM_SIZE=200 -e SENDERS=5 -e SEND_INTERVAL_MS=500 loadtest/k6/room-fanout.js
import { prepare } from './lib/setup.js';
import { intEnv } from './lib/config.js';
import { runSocket, timedContent, uuid } from './lib/client.js';

var ROOMS = intEnv('ROOMS', 2);
var ROOM_SIZE = intEnv('ROOM_SIZE', 50);
var SENDERS = intEnv('SENDERS', 5);
var SEND_INTERVAL_MS = intEnv('SEND_INTERVAL_MS', 1000);
var DURATION_MS = intEnv('DURATION', 60) * 1000;
var CONTENT_BYTES = intEnv('CONTENT_BYTES', 100);
var SOCKETS = ROOMS * ROOM_SIZE;

export var options = {
  setupTimeout: '10m',
  scenarios: {
    fanout: { executor: 'per-vu-iterations', vus: SOCKETS, iterations: 1, maxDuration: Math.round(DURATION_MS / 1000) + 60 + 's' },
  },
  thresholds: {
    chat_delivery_latency: ['p(95)<50', 'p(99)<100'],
    'socketio_ack_latency{event:message_send}': ['p(99)<100'],
    socketio_ack_ok: ['rate>0.999'],
    socketio_connect_ok: ['rate>0.99'],
    chat_out_of_order: ['count==0'],
    chat_duplicates: ['count==0'],
    chat_gaps: ['count==0'],
  },
};

export function setup() {
  // Every socket is its own user, a member of room (index % ROOMS).
  return prepare(SOCKETS, ROOMS);
}

export default function (data) {
  var index = __VU - 1;
  var user = data.users[index];
  // Users are spread round-robin, so the first SENDERS × ROOMS users send, SENDERS per room.
  var sends = index < SENDERS * ROOMS;
  var startAt = Date.now() + 10000; // everyone joined before the first send
  runSocket(user.token, {
    onConnected: function (api) {
      api.call('room:join', { roomId: user.roomId }, function () {
        if (!sends) return;
        api.socket.setTimeout(function () {
          api.socket.setInterval(function () {
            api.call('message:send', { roomId: user.roomId, content: timedContent(CONTENT_BYTES), clientId: uuid() });
          }, SEND_INTERVAL_MS);
        }, Math.max(0, startAt - Date.now()) + Math.random() * SEND_INTERVAL_MS);
      });
      api.socket.setTimeout(function () { api.close(); }, DURATION_MS + 15000);
    },
  });
}
