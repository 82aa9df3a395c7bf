"""A chat client nobody on this project wrote: Debian's python3-socketio, through nginx.

Usage: python3 python_client.py BASE_URL
Registers two users over REST, creates a room the second joins, connects both over
WebSocket with the library's default Origin, joins, sends three messages from the
first (one of them twice, with the same clientId), and prints one JSON line with what
each side saw, for the test to check.
"""
import json
import sys
import threading
import urllib.request
import uuid

import socketio

BASE = sys.argv[1].rstrip('/')


def rest(method, path, body=None, token=None):
    headers = {'content-type': 'application/json'}
    if token:
        headers['authorization'] = f'Bearer {token}'
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def register(prefix):
    return rest('POST', '/api/auth/register', {'username': f'{prefix}_{uuid.uuid4().hex[:8]}', 'password': 'correct horse battery'})


def client(token, received, arrived):
    sio = socketio.Client(reconnection=False)

    @sio.on('message')
    def on_message(message):
        received.append(message)
        arrived.set()

    sio.connect(BASE, auth={'token': token}, transports=['websocket'], socketio_path='socket.io', wait_timeout=10)
    return sio


ann, ben = register('py_ann'), register('py_ben')
room = rest('POST', '/api/rooms', {'name': f'python {uuid.uuid4().hex[:8]}'}, ann['token'])
rest('POST', f"/api/rooms/{room['id']}/join", None, ben['token'])

ann_got, ben_got = [], []
ann_arrived, ben_arrived = threading.Event(), threading.Event()
ann_sio = client(ann['token'], ann_got, ann_arrived)
ben_sio = client(ben['token'], ben_got, ben_arrived)
transport = ann_sio.transport()

joins = [sio.call('room:join', {'roomId': room['id']}, timeout=10) for sio in (ann_sio, ben_sio)]
acks = []
repeated = str(uuid.uuid4())
for content, client_id in (('one', repeated), ('two', str(uuid.uuid4())), ('one again', repeated), ('three', str(uuid.uuid4()))):
    acks.append(ann_sio.call('message:send', {'roomId': room['id'], 'content': content, 'clientId': client_id}, timeout=10))

deadline = 10.0
while len([m for m in ben_got if m['type'] == 'message']) < 3 and deadline > 0:
    ben_arrived.wait(0.2)
    ben_arrived.clear()
    deadline -= 0.2

history = rest('GET', f"/api/rooms/{room['id']}/messages", None, ben['token'])
for sio in (ann_sio, ben_sio):
    sio.disconnect()

print(json.dumps({
    'transport': transport,
    'joins': joins,
    'acks': acks,
    'ben': [m for m in ben_got if m['roomId'] == room['id']],
    'history': history,
}))
