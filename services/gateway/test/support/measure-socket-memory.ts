/**
 * Heap per idle socket of one gateway:
 *   node --conditions=development --import tsx services/gateway/test/support/measure-socket-memory.ts [sockets] [rooms]
 * Starts a private Redis and PostgreSQL, runs the gateway in a child process
 * (started with --expose-gc, so its heap is the gateway's alone), connects the
 * sockets over WebSocket from this process, joins each to one of `rooms` rooms,
 * and prints the child's heapUsed after a full GC, before and after, per socket.
 * With HEAP_SNAPSHOT_DIR=dir it also writes heap snapshots there and prints what
 * grew per socket by kind of object (HEAP_TOP rows, default 30); BARE=1 measures
 * a bare Socket.IO server on the Redis adapter instead.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createOrm } from '@chat/store';
import { createMigratedDatabase, startPostgres, startRedis } from '@chat/testkit';
import { call, connect, ok, type ChatSocket } from './client.js';
import { addMember, createRoom, createUser, tokenFor } from './fixtures.js';
import { startTestGateway } from './harness.js';
import { heapByConstructor, heapGrowth } from './heap-snapshot.js';

/** A bare Socket.IO server on the Redis adapter (BARE=1), for comparison: joins rooms, nothing else. */
async function bareServer(redisUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const { createServer } = await import('node:http');
  const { Server } = await import('socket.io');
  const { createAdapter } = await import('@socket.io/redis-adapter');
  const { Redis } = await import('ioredis');
  const pub = new Redis(redisUrl);
  const sub = pub.duplicate();
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub), serveClient: false });
  io.use((socket, next) => {
    socket.data = { user: { id: String(socket.handshake.auth.token).slice(-12), username: 'x' } };
    next();
  });
  io.on('connection', (socket) => {
    socket.on('room:join', async ({ roomId }: { roomId: string }, ack: (a: object) => void) => {
      await socket.join(roomId);
      ack({ ok: true, room: { id: roomId, name: 'r', description: '', ownerId: roomId, memberCount: 1, createdAt: new Date().toISOString() }, online: [], missed: [] });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, stop: async () => void (await io.close()) };
}

interface Request {
  id: number;
  kind: 'heap';
}

if (process.argv[2] === '--gateway') {
  const gw = process.env.BARE === '1' ? await bareServer(process.argv[3]!) : await startTestGateway({ redisUrl: process.argv[3]!, databaseUrl: process.argv[4]! });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', async (request: Request) => {
    for (let i = 0; i < 4; i++) gc?.();
    if (process.env.HEAP_SNAPSHOT_DIR) (await import('node:v8')).writeHeapSnapshot(`${process.env.HEAP_SNAPSHOT_DIR}/heap-${request.id}.heapsnapshot`);
    process.send?.({ id: request.id, heapUsed: process.memoryUsage().heapUsed });
  });
  process.on('disconnect', () => void gw.stop().then(() => process.exit(0)));
  process.send?.({ id: 0, url: gw.url });
} else {
  const sockets = Number(process.argv[2] ?? 2000);
  const roomCount = Number(process.argv[3] ?? 20);
  const [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
  const databaseUrl = await createMigratedDatabase(pg, 'memory');
  const orm = await createOrm({ databaseUrl, poolMax: 2 });
  const users = await Promise.all(Array.from({ length: 100 }, (_, i) => createUser(orm, `mem${i}`)));
  const rooms: string[] = [];
  for (let r = 0; r < roomCount; r++) {
    const room = await createRoom(orm, users[0]!);
    for (const user of users.slice(1)) await addMember(orm, room, user);
    rooms.push(room);
  }
  await orm.close(true);

  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--gateway', redis.url, databaseUrl], {
    execArgv: ['--expose-gc', '--conditions=development', '--import', 'tsx'],
  });
  let next = 1;
  const waiting = new Map<number, (reply: { heapUsed?: number; url?: string }) => void>();
  child.on('message', (reply: { id: number; heapUsed?: number; url?: string }) => waiting.get(reply.id)?.(reply));
  const url = await new Promise<string>((resolve) => waiting.set(0, (reply) => resolve(reply.url!)));
  const heap = (): Promise<number> =>
    new Promise((resolve) => {
      const id = next++;
      waiting.set(id, (reply) => resolve(reply.heapUsed!));
      child.send({ id, kind: 'heap' } satisfies Request);
    });

  // Warm up (module code, caches, pools) with one socket that comes and goes.
  const warm = await connect(url, tokenFor(users[0]!));
  ok(await call(warm, 'room:join', { roomId: rooms[0]! }));
  warm.close();
  await new Promise((r) => setTimeout(r, 500));
  const before = await heap();
  const open: ChatSocket[] = [];
  for (let i = 0; i < sockets; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, sockets - i) }, (_, j) => connect(url, tokenFor(users[(i + j) % users.length]!))));
    await Promise.all(batch.map((s, j) => call(s, 'room:join', { roomId: rooms[(i + j) % rooms.length]! }).then(ok)));
    open.push(...batch);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const after = await heap();
  console.log(
    JSON.stringify({ sockets, rooms: roomCount, heapBeforeMB: +(before / 2 ** 20).toFixed(1), heapAfterMB: +(after / 2 ** 20).toFixed(1), bytesPerSocket: Math.round((after - before) / sockets) }),
  );
  const dir = process.env.HEAP_SNAPSHOT_DIR;
  if (dir) {
    // The snapshots were written by the heap() calls above: 1 before the sockets, 2 with them.
    const growth = heapGrowth(await heapByConstructor(`${dir}/heap-1.heapsnapshot`), await heapByConstructor(`${dir}/heap-2.heapsnapshot`), sockets);
    const total = growth.reduce((sum, g) => sum + g.bytesPerUnit, 0);
    console.log(`| bytes per socket | objects per socket | kind (V8 type and constructor) |\n| ---: | ---: | --- |`);
    for (const g of growth.slice(0, Number(process.env.HEAP_TOP ?? 30))) console.log(`| ${g.bytesPerUnit.toFixed(0)} | ${g.countPerUnit.toFixed(2)} | ${g.name} |`);
    console.log(`| ${total.toFixed(0)} | | all (the snapshots' own count) |`);
  }
  for (const s of open) s.close();
  child.disconnect();
  await new Promise((r) => child.once('exit', r));
  await Promise.all([redis.stop(), pg.stop()]);
}
