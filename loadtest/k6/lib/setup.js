// REST setup for the k6 scripts (runs once, in setup()): registers users, creates rooms
// and makes each user a member of its room, through nginx's /api.
import http from 'k6/http';
import { BASE_URL, PASSWORD, RUN_ID } from './config.js';

var JSON_HEADERS = { 'Content-Type': 'application/json' };

function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(what + ': HTTP ' + res.status + ' ' + String(res.body).slice(0, 200));
  return res.json();
}

/**
 * `users` users (registered in batches of 20) spread over `rooms` rooms: user i is a member
 * of room i % rooms; the first user of each room owns it. Returns {users: [{id, username,
 * token, roomId}], rooms: [{id, name}]}.
 */
export function prepare(users, rooms) {
  var registered = [];
  for (var start = 0; start < users; start += 20) {
    var batch = [];
    for (var i = start; i < Math.min(users, start + 20); i++) {
      batch.push(['POST', BASE_URL + '/api/auth/register', JSON.stringify({ username: 'k6_' + RUN_ID + '_' + i, password: PASSWORD }), { headers: JSON_HEADERS }]);
    }
    var responses = http.batch(batch);
    for (var r = 0; r < responses.length; r++) {
      var body = expectStatus(responses[r], 201, 'register');
      registered.push({ id: body.user.id, username: body.user.username, token: body.token });
    }
  }

  var created = [];
  for (var k = 0; k < rooms; k++) {
    var owner = registered[k % registered.length];
    var res = http.post(BASE_URL + '/api/rooms', JSON.stringify({ name: 'k6 ' + RUN_ID + ' room ' + k }), {
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + owner.token },
    });
    created.push(expectStatus(res, 201, 'create room'));
  }

  var joins = [];
  for (var u = 0; u < registered.length; u++) {
    var room = created[u % created.length];
    registered[u].roomId = room.id;
    if (u >= created.length) {
      joins.push(['POST', BASE_URL + '/api/rooms/' + room.id + '/join', null, { headers: { Authorization: 'Bearer ' + registered[u].token } }]);
    }
  }
  for (var j = 0; j < joins.length; j += 20) {
    var joined = http.batch(joins.slice(j, j + 20));
    for (var q = 0; q < joined.length; q++) expectStatus(joined[q], 200, 'join room');
  }
  return { users: registered, rooms: created.map(function (c) { return { id: c.id, name: c.name }; }) };
}
