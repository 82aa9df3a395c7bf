// Connect ramp: VUs ramp up to TARGET_SOCKETS sockets, each authenticates, joins its room
// (acked) and holds the connection, answering pings, for HOLD seconds.
//   k6 run -e BASE_URL=http://localhost:8080 -e TARGET_SOCKETS=2000 loadtest/k6/connect-ramp.js
import { prepare } from './lib/setup.js';
import { intEnv } from './lib/config.js';
import { runSocket } from './lib/client.js';

var TARGET = intEnv('TARGET_SOCKETS', 1000);
var USERS = intEnv('USERS', Math.min(TARGET, 200));
var ROOMS = intEnv('ROOMS', Math.max(1, Math.ceil(USERS / 50)));
var HOLD_MS = intEnv('HOLD', 60) * 1000;
var RAMP = __ENV.RAMP || '2m';

export var options = {
  setupTimeout: '10m',
  scenarios: {
    ramp: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: RAMP, target: TARGET },
        { duration: Math.round(HOLD_MS / 1000) + 's', target: TARGET },
        { duration: '10s', target: 0 },
      ],
      gracefulRampDown: '30s',
    },
  },
  thresholds: {
    socketio_connect_ok: ['rate>0.99'],
    socketio_connect_time: ['p(95)<1000', 'p(99)<3000'],
    socketio_ack_ok: ['rate>0.99'],
    socketio_ack_latency: ['p(99)<250'],
    checks: ['rate>0.99'],
  },
};

export function setup() {
  return prepare(USERS, ROOMS);
}

export default function (data) {
  var user = data.users[(__VU - 1) % data.users.length];
  runSocket(user.token, {
    onConnected: function (api) {
      api.call('room:join', { roomId: user.roomId });
      api.socket.setTimeout(function () { api.close(); }, HOLD_MS);
    },
  });
}
