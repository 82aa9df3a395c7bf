import { performance } from 'node:perf_hooks';
import { openChatSocket, request, type ChatSocket, type Message } from '@chat/client';
import type { Account, Target } from '../env/target.js';
import { Samples } from '../measure/samples.js';
import { SeqTracker } from '../measure/sequence.js';
import { log, mapLimit } from '../util.js';

/** One connected, joined socket of the load. */
export interface LoadSocket {
  socket: ChatSocket;
  account: Account;
  room: number;
  roomId: string;
  seq: SeqTracker;
}

export interface RoomPlan {
  rooms: number;
  socketsPerRoom: number;
  /** Distinct users per room; sockets of a room take them round-robin (a user with several tabs). */
  usersPerRoom: number;
}

export interface Population {
  roomIds: string[];
  /** accounts[room][i] */
  accounts: Account[][];
}

/** Registers the users and creates the rooms (REST for ours), before any socket connects. */
export async function createPopulation(target: Target, plan: RoomPlan, prefix: string): Promise<Population> {
  const users = plan.rooms * plan.usersPerRoom;
  log(`${target.name}: creating ${users} users and ${plan.rooms} rooms`);
  const all = await target.createAccounts(users, prefix);
  const accounts = Array.from({ length: plan.rooms }, (_, r) => all.slice(r * plan.usersPerRoom, (r + 1) * plan.usersPerRoom));
  const roomIds = await mapLimit(accounts, 8, async (members, r) => {
    const roomId = await target.createRoom(members[0]!, `${prefix} room ${r}`);
    // One join at a time per room: each join appends its "joined" system message under the
    // room's row lock, so joins into one room run one after another in PostgreSQL anyway.
    // Sent at once they would only wait there, each holding one of the API's 10 pooled
    // connections; this way setup has one join per room in flight, 8 rooms at a time.
    await mapLimit(members.slice(1), 1, (m) => target.addMember(m, roomId));
    return roomId;
  });
  return { roomIds, accounts };
}

/**
 * Which URL a socket connects to, by its room (index in the plan) and its position among
 * that room's sockets; without one, sockets go round-robin over the target's socket URLs.
 */
export type Placement = (room: number, position: number) => string;

export interface ConnectStats {
  connect: Samples;
  join: Samples;
  failures: number;
  /** Failure messages and how often each was seen. */
  reasons: Map<string, number>;
}

/**
 * Connects `plan.socketsPerRoom` sockets per room (round-robin over the target's socket
 * URLs, or where `placement` says), each joining its room with an acked `room:join`.
 * `onMessage` sees every `message` event of every socket. Any socket that fails to
 * connect or join fails the run: every figure is per requested socket (memory per
 * socket, deliveries owed to each one), and a cluster that turns sockets away at this
 * load has not passed it.
 */
export async function connectPopulation(
  target: Target,
  population: Population,
  plan: RoomPlan,
  concurrency: number,
  onMessage: (receiver: LoadSocket, message: Message) => void,
  placement?: Placement,
): Promise<{ sockets: LoadSocket[]; stats: ConnectStats }> {
  const slots = population.roomIds.flatMap((roomId, room) =>
    Array.from({ length: plan.socketsPerRoom }, (_, position) => ({
      room,
      roomId,
      position,
      account: population.accounts[room]![position % plan.usersPerRoom]!,
    })),
  );
  const stats: ConnectStats = { connect: new Samples(), join: new Samples(), failures: 0, reasons: new Map() };
  let done = 0;
  const results = await mapLimit(slots, concurrency, async (slot, i): Promise<LoadSocket | undefined> => {
    const url = placement ? placement(slot.room, slot.position) : target.socketUrls[i % target.socketUrls.length]!;
    const started = performance.now();
    let socket: ChatSocket | undefined;
    try {
      // The SDK's bare socket (WebSocket, no reconnection, a connection of its own), not a ChatClient: see README.md.
      socket = await openChatSocket(url, slot.account.token, { timeout: 30_000 });
      stats.connect.add(performance.now() - started);
      const loadSocket: LoadSocket = { socket, account: slot.account, room: slot.room, roomId: slot.roomId, seq: new SeqTracker() };
      socket.on('message', (message) => onMessage(loadSocket, message));
      const joinStarted = performance.now();
      await request(socket, 'room:join', { roomId: slot.roomId }, 30_000);
      stats.join.add(performance.now() - joinStarted);
      if (++done % 1000 === 0) log(`${target.name}: ${done}/${slots.length} sockets connected and joined`);
      return loadSocket;
    } catch (err) {
      socket?.close();
      stats.failures++;
      const reason = err instanceof Error ? err.message : String(err);
      stats.reasons.set(reason, (stats.reasons.get(reason) ?? 0) + 1);
      if (stats.failures <= 5) log(`${target.name}: socket ${i} failed: ${reason}`);
      return undefined;
    }
  });
  const sockets = results.filter((s): s is LoadSocket => s !== undefined);
  if (stats.failures > 0) {
    closeAll(sockets);
    const reasons = [...stats.reasons].map(([reason, n]) => `${n}× ${reason}`).join('; ');
    throw new Error(`${target.name}: ${stats.failures} of ${slots.length} sockets failed to connect or join (${reasons}); the run is not valid`);
  }
  return { sockets, stats };
}

export function closeAll(sockets: LoadSocket[]): void {
  for (const s of sockets) s.socket.close();
}
