// Durable sends with ack: SENDERS sockets in one busy room (plus LISTENERS that only
// receive) send as fast as their acks come back, WINDOW messages in flight each; the
// ack arrives only after the message is committed to PostgreSQL.
// Each sender is its own user, so the gateways' per-user limit (RATE_LIMIT_MESSAGES,
// default 60 a minute) caps it at one message a second: raise it on the gateways for a
// throughput run (e.g. RATE_LIMIT_MESSAGES=1000000). A refused send is not followed at
// once by the next: rate_limited/unavailable back off (lib/pacing.js), anything else
// stops that sender; either way socketio_ack_ok counts the refusal.
//   k6 run -e BASE_URL=http://localhost:8080 -e SENDERS=20 -e LISTENERS=50 loadtest/k6/send-ack.js
import { prepare } from './lib/setup.js';
import { intEnv } from './lib/config.js';
import { runSocket, timedContent, uuid } from './lib/client.js';
import { afterAck } from './lib/pacing.js';

var SENDERS = intEnv('SENDERS', 20);
var LISTENERS = intEnv('LISTENERS', 50);
var WINDOW = intEnv('WINDOW', 1);
var DURATION_MS = intEnv('DURATION', 60) * 1000;
var CONTENT_BYTES = intEnv('CONTENT_BYTES', 100);

export var options = {
  setupTimeout: '10m',
  scenarios: {
    send: { executor: 'per-vu-iterations', vus: SENDERS + LISTENERS, iterations: 1, maxDuration: Math.round(DURATION_MS / 1000) + 60 + 's' },
  },
  thresholds: {
    'socketio_ack_latency{event:message_send}': ['p(95)<50', 'p(99)<100'],
    socketio_ack_ok: ['rate>0.999'],
    chat_delivery_latency: ['p(99)<100'],
    chat_out_of_order: ['count==0'],
    chat_duplicates: ['count==0'],
    chat_gaps: ['count==0'],
  },
};

export function setup() {
  return prepare(SENDERS + LISTENERS, 1);
}

export default function (data) {
  var index = __VU - 1;
  var user = data.users[index];
  var sender = index < SENDERS;
  var stopAt = Date.now() + DURATION_MS + 5000;
  runSocket(user.token, {
    onConnected: function (api) {
      api.call('room:join', { roomId: user.roomId }, function () {
        if (!sender) return;
        var sendOne = function (backoffMs) {
          if (Date.now() >= stopAt) return;
          api.call('message:send', { roomId: user.roomId, content: timedContent(CONTENT_BYTES), clientId: uuid() }, function (answer) {
            var next = afterAck(answer, backoffMs || 0);
            if (next.action === 'send') sendOne(0);
            else if (next.action === 'wait') api.socket.setTimeout(function () { sendOne(next.delayMs); }, next.delayMs);
            else console.warn('sender ' + __VU + ' stops: message:send refused (' + next.reason + ')');
          });
        };
        // Everyone joins first; then each sender keeps WINDOW sends in flight.
        api.socket.setTimeout(function () {
          for (var w = 0; w < WINDOW; w++) sendOne(0);
        }, 5000);
      });
      api.socket.setTimeout(function () { api.close(); }, DURATION_MS + 10000);
    },
  });
}
