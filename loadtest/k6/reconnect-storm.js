// Reconnect storm: SOCKETS sockets hold their room; every STORM_EVERY seconds, aligned to
// the wall clock, all of them drop the connection at once (as when a gateway or a load
// balancer restarts) and reconnect immediately, joining with `since` = the last seq seen.
// A chatter VU keeps sending, so each rejoin has `missed` messages to catch up on; the
// checks require them to continue the seq with no gap. The chatter is one user, held to
// the gateways' RATE_LIMIT_MESSAGES (default 60 a minute): its default interval, 1100 ms,
// stays under that; a shorter CHATTER_INTERVAL_MS needs the limit raised on the gateways
// (e.g. 200 ms → 300 a minute: RATE_LIMIT_MESSAGES=600), else its sends are refused.
//   k6 run -e BASE_URL=http://localhost:8080 -e SOCKETS=1000 loadtest/k6/reconnect-storm.js
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import { prepare } from './lib/setup.js';
import { intEnv } from './lib/config.js';
import { gaps, runSocket, timedContent, uuid } from './lib/client.js';

var SOCKETS = intEnv('SOCKETS', 500);
var USERS = intEnv('USERS', Math.min(SOCKETS, 100));
var STORMS = intEnv('STORMS', 3);
var STORM_EVERY_MS = intEnv('STORM_EVERY', 20) * 1000;
var CHATTER_INTERVAL_MS = intEnv('CHATTER_INTERVAL_MS', 1100);
var missedReceived = new Counter('chat_missed_replayed');

export var options = {
  setupTimeout: '10m',
  scenarios: {
    storm: { executor: 'per-vu-iterations', vus: SOCKETS, iterations: STORMS + 1, maxDuration: (STORMS + 2) * STORM_EVERY_MS / 1000 + 60 + 's', exec: 'storm' },
    chatter: { executor: 'constant-vus', vus: 1, duration: (STORMS + 1) * STORM_EVERY_MS / 1000 + 's', exec: 'chatter' },
  },
  thresholds: {
    socketio_connect_ok: ['rate>0.99'],
    'socketio_connect_time{scenario:storm}': ['p(95)<2000'],
    'socketio_ack_latency{event:room_join}': ['p(99)<1000'],
    socketio_ack_ok: ['rate>0.99'],
    chat_gaps: ['count==0'],
    checks: ['rate>0.99'],
  },
};

export function setup() {
  // One room: every user is a member of it.
  return prepare(USERS, 1);
}

// Per VU, kept across iterations (each iteration is one connection).
var lastSeq;

export function storm(data) {
  var user = data.users[(__VU - 1) % data.users.length];
  var nextStorm = (Math.floor(Date.now() / STORM_EVERY_MS) + 1) * STORM_EVERY_MS;
  runSocket(user.token, {
    onConnected: function (api) {
      var since = lastSeq;
      var payload = since === undefined ? { roomId: user.roomId } : { roomId: user.roomId, since: since };
      api.call('room:join', payload, function (ack) {
        if (!ack || !ack.ok) return;
        var missed = ack.missed || [];
        missedReceived.add(missed.length);
        // `missed` continues from since + 1 with no gap (a message may also have come live).
        var contiguous = true;
        for (var i = 0; i < missed.length; i++) {
          if (since !== undefined && missed[i].seq !== since + 1 + i) contiguous = false;
          if (lastSeq === undefined || missed[i].seq > lastSeq) lastSeq = missed[i].seq;
        }
        if (!contiguous) gaps.add(1);
        check(ack, { 'missed continues the seq from since + 1': function () { return contiguous; } });
      });
      // Drop the transport without a goodbye, all VUs at the same instant.
      api.socket.setTimeout(function () { api.socket.close(); }, Math.max(0, nextStorm - Date.now()));
    },
    onMessage: function (message) {
      if (lastSeq === undefined || message.seq > lastSeq) lastSeq = message.seq;
    },
  });
}

export function chatter(data) {
  var user = data.users[0];
  runSocket(user.token, {
    onConnected: function (api) {
      api.call('room:join', { roomId: user.roomId }, function () {
        api.socket.setInterval(function () {
          api.call('message:send', { roomId: user.roomId, content: timedContent(60), clientId: uuid() });
        }, CHATTER_INTERVAL_MS);
      });
      api.socket.setTimeout(function () { api.close(); }, (STORMS + 1) * STORM_EVERY_MS);
    },
  });
}
