import type { Knex } from '@mikro-orm/postgresql';
import { AppError } from '@chat/contract';

/**
 * The room's last stored seq (`rooms.last_seq`, 0 for an empty room), read when a
 * `/summary` is requested: the job summarises the messages up to it, so messages
 * sent while the job waits in the queue are not part of the summary.
 */
export async function roomLastSeq(knex: Knex, roomId: string): Promise<number> {
  const { rows } = await knex.raw<{ rows: { last_seq: string | number }[] }>('select last_seq from rooms where id = ?', [roomId]);
  const row = rows[0];
  if (!row) throw AppError.notFound('room not found');
  return Number(row.last_seq);
}
