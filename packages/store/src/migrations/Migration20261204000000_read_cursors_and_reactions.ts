import { Migration } from '@mikro-orm/migrations';

/**
 * Read cursors and reactions.
 *
 * `memberships.read_seq`: the member's read cursor (only moves forward; the gateways write it
 * coalesced, at most once a second per user and room). Unread counts never count the unread messages
 * themselves: seq is gapless, so a room's messages after the cursor number `last_seq - read_seq`, and
 * what does not count is subtracted — its system messages after the cursor (a partial index of them:
 * few) and the caller's own (an index by room and sender: few after their cursor, since sending moves
 * the sender's cursor).
 *
 * `reactions`: one row per (message, emoji, user); `chat_set_reaction` adds or removes one under the
 * message's row lock, so the cap on distinct emoji holds under concurrent reactions.
 */
export class Migration20261204000000_read_cursors_and_reactions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "memberships" add column "read_seq" bigint not null default 0;`);
    this.addSql(`create index "messages_system_index" on "messages" ("room_id", "seq") where "type" = 'system';`);
    this.addSql(`create index "messages_room_sender_seq_index" on "messages" ("room_id", "sender_id", "seq") where "type" = 'message';`);
    this.addSql(`
      create table "reactions" (
        "message_id" uuid not null references "messages" ("id") on delete cascade,
        "emoji" varchar(32) not null,
        "user_id" uuid not null references "users" ("id") on delete cascade,
        "created_at" timestamptz not null default clock_timestamp(),
        primary key ("message_id", "emoji", "user_id")
      );`);
    this.addSql(`
      create or replace function chat_set_reaction(p_room uuid, p_message uuid, p_user uuid, p_emoji text, p_on boolean, p_max int)
      returns table (outcome text, seq bigint, emoji_count int, changed boolean)
      language plpgsql as $$
      declare
        m_seq bigint;
        did boolean := false;
      begin
        select m.seq into m_seq from messages m where m.id = p_message and m.room_id = p_room for no key update;
        if not found then
          return query select 'not_found'::text, null::bigint, 0, false;
          return;
        end if;
        if not exists (select 1 from memberships ms where ms.room_id = p_room and ms.user_id = p_user) then
          return query select 'forbidden'::text, m_seq, 0, false;
          return;
        end if;
        if p_on then
          if not exists (select 1 from reactions r where r.message_id = p_message and r.emoji = p_emoji)
             and (select count(distinct r.emoji) from reactions r where r.message_id = p_message) >= p_max then
            return query select 'too_many'::text, m_seq, 0, false;
            return;
          end if;
          insert into reactions (message_id, emoji, user_id) values (p_message, p_emoji, p_user) on conflict do nothing;
          did := found;
        else
          delete from reactions r where r.message_id = p_message and r.emoji = p_emoji and r.user_id = p_user;
          did := found;
        end if;
        return query select 'ok'::text, m_seq, (select count(*)::int from reactions r where r.message_id = p_message and r.emoji = p_emoji), did;
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists chat_set_reaction(uuid, uuid, uuid, text, boolean, int);`);
    this.addSql(`drop table if exists "reactions";`);
    this.addSql(`drop index if exists "messages_room_sender_seq_index";`);
    this.addSql(`drop index if exists "messages_system_index";`);
    this.addSql(`alter table "memberships" drop column "read_seq";`);
  }
}
