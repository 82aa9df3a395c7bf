/**
 * The obvious alternative, for comparison: a bare Socket.IO server on the Redis adapter
 * that takes any non-empty token as the user's name, joins rooms on request, and stores
 * each message with one INSERT (the room's next seq taken in the same statement) before
 * broadcasting it. No validation, no membership, no rate limits, no presence, no batching.
 * It speaks the contract's event names and payloads, so `npm run loadtest -- --target
 * baseline` drives it with the same client code. Environment: PORT, REDIS_URL, DATABASE_URL.
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import pg from 'pg';
import { collectDefaultMetrics, register } from 'prom-client';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 3301);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await pool.query(`
  create table if not exists baseline_rooms (id text primary key, last_seq bigint not null);
  create table if not exists baseline_messages (
    id bigserial primary key, room_id text not null, seq bigint not null, sender text not null,
    client_id text, content text not null, created_at timestamptz not null default now(),
    unique (room_id, seq));
`);
// One statement: bump the room's counter (its row lock orders concurrent sends) and insert.
const INSERT = `
  with next as (
    insert into baseline_rooms (id, last_seq) values ($1, 1)
    on conflict (id) do update set last_seq = baseline_rooms.last_seq + 1
    returning last_seq)
  insert into baseline_messages (room_id, seq, sender, client_id, content)
  select $1, last_seq, $2, $3, $4 from next
  returning id, seq, created_at`;

const pub = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const sub = pub.duplicate();
collectDefaultMetrics();

const http = createServer((req, res) => {
  if (req.url === '/metrics') {
    void register.metrics().then((text) => res.writeHead(200, { 'content-type': register.contentType }).end(text));
  } else if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', sockets: io.of('/').sockets.size }));
  } else {
    res.writeHead(404).end();
  }
});
const io = new Server(http, { adapter: createAdapter(pub, sub), serveClient: false });

io.use((socket, next) => {
  const token: unknown = socket.handshake.auth.token;
  if (typeof token !== 'string' || token === '') return next(new Error('unauthorized'));
  socket.data.user = { id: token, username: token };
  next();
});

type Ack = (answer: object) => void;
io.on('connection', (socket) => {
  socket.on('room:join', async ({ roomId }: { roomId: string }, ack: Ack) => {
    await socket.join(roomId);
    ack({ ok: true, room: { id: roomId }, online: [], missed: [] });
  });
  socket.on('message:send', async ({ roomId, content, clientId }: { roomId: string; content: string; clientId: string }, ack: Ack) => {
    const sender = socket.data.user as { id: string; username: string };
    try {
      const { rows } = await pool.query<{ id: string; seq: string; created_at: Date }>(INSERT, [roomId, sender.id, clientId, content]);
      const row = rows[0]!;
      const message = { id: row.id, roomId, seq: Number(row.seq), type: 'message', content, sender, clientId, timestamp: row.created_at.toISOString() };
      io.to(roomId).emit('message', message);
      ack({ ok: true, message });
    } catch (err) {
      console.error('insert failed', err);
      ack({ ok: false, error: { code: 'internal', message: 'insert failed' } });
    }
  });
});

http.listen(port, '127.0.0.1');
const stop = (): void => {
  void io.close(() => void Promise.allSettled([pool.end(), pub.quit(), sub.quit()]).then(() => process.exit(0)));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
