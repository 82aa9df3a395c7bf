import { AppError, type RoomListItem } from '@chat/contract';
import type { MessageDb } from '../messages/message.db.js';

/** A read cursor to store: the highest seq the user has read in the room. */
export interface CursorWrite {
  roomId: string;
  userId: string;
  seq: number;
}

export interface ReadStore {
  /** The caller's cursor and the room's last seq; `not_found` for no room, `forbidden` for a non-member. */
  cursor(roomId: string, userId: string): Promise<{ readSeq: number; lastSeq: number }>;
  /** Moves each cursor forward to its seq (never back), all in one statement; a membership gone since is skipped. */
  advance(writes: readonly CursorWrite[]): Promise<void>;
  /** Every room, oldest first, with the caller's membership and, where joined, last seq, cursor and unread count. */
  roomList(userId: string): Promise<RoomListItem[]>;
}

const CURSOR = `
  select r.last_seq, m.read_seq, m.user_id is not null as member
  from rooms r left join memberships m on m.room_id = r.id and m.user_id = $2
  where r.id = $1`;

const ADVANCE = `
  update memberships m set read_seq = greatest(m.read_seq, least(w.seq, r.last_seq))
  from unnest($1::uuid[], $2::uuid[], $3::bigint[]) as w(room_id, user_id, seq), rooms r
  where m.room_id = w.room_id and m.user_id = w.user_id and r.id = w.room_id and m.read_seq < w.seq`;

// Unread without counting the unread: seq is gapless, so the messages after the cursor number
// last_seq - read_seq; subtract the system messages among them and the caller's own (both read from
// small partial indexes; see the migration).
const ROOM_LIST = `
  select r.id, r.name, r.description, r.owner_id, r.created_at, r.last_seq,
         (select count(*)::int from memberships c where c.room_id = r.id) as member_count,
         m.read_seq,
         case when m.user_id is null then null else (
           r.last_seq - m.read_seq
           - (select count(*) from messages s where s.room_id = r.id and s.type = 'system' and s.seq > m.read_seq)
           - (select count(*) from messages o where o.room_id = r.id and o.type = 'message' and o.sender_id = $1 and o.seq > m.read_seq)
         )::int end as unread
  from rooms r left join memberships m on m.room_id = r.id and m.user_id = $1
  order by r.created_at, r.id`;

interface RoomListRow {
  id: string;
  name: string;
  description: string;
  owner_id: string;
  created_at: Date;
  last_seq: string;
  member_count: number;
  read_seq: string | null;
  unread: number | null;
}

export function createReadStore(db: MessageDb): ReadStore {
  return {
    async cursor(roomId, userId) {
      const [row] = await db.query<{ last_seq: string; read_seq: string | null; member: boolean }>('read_cursor', CURSOR, [roomId, userId]);
      if (!row) throw AppError.notFound('room not found');
      if (!row.member) throw AppError.forbidden('join the room first');
      return { readSeq: Number(row.read_seq), lastSeq: Number(row.last_seq) };
    },

    async advance(writes) {
      if (writes.length === 0) return;
      await db.query('read_advance', ADVANCE, [writes.map((w) => w.roomId), writes.map((w) => w.userId), writes.map((w) => w.seq)]);
    },

    async roomList(userId) {
      const rows = await db.query<RoomListRow>('room_list', ROOM_LIST, [userId]);
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        description: row.description,
        ownerId: row.owner_id,
        memberCount: row.member_count,
        createdAt: row.created_at.toISOString(),
        joined: row.read_seq !== null,
        ...(row.read_seq === null ? {} : { lastSeq: Number(row.last_seq), readSeq: Number(row.read_seq), unread: row.unread ?? 0 }),
      }));
    },
  };
}
