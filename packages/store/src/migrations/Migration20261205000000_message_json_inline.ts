import { Migration } from '@mikro-orm/migrations';

/**
 * `chat_message_json` as one expression (a row of a composite type made JSON), so PostgreSQL inlines
 * it into the statements that call it instead of running a subquery per row: the same text, about a
 * quarter less time in `chat_append_messages` under the room's row lock (measured on 32-message
 * batches, p50: 84 → 67 µs a message). It is `stable`, not `immutable`: `to_char` depends on settings,
 * and a function declared more strictly than its body is not inlined.
 */
export class Migration20261205000000_message_json_inline extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create type chat_user_ref as ("id" uuid, "username" text);`);
    this.addSql(`
      create type chat_message_wire as (
        "id" uuid, "roomId" uuid, "seq" bigint, "type" text, "content" text,
        "sender" chat_user_ref, "clientId" text, "timestamp" text);`);
    this.addSql(`
      create or replace function chat_message_json(m messages, sender_username text) returns json
      language sql stable parallel safe as $$
        select row_to_json(row(
          m.id, m.room_id, m.seq, m.type, m.content,
          case
            when m.type = 'message' and m.sender_id is not null then row(m.sender_id, coalesce(sender_username, ''))::chat_user_ref
            when m.type = 'bot' then row(null::uuid, coalesce(m.bot_name, 'stock-bot'))::chat_user_ref
          end,
          case when m.type = 'message' then m.client_id end,
          to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::chat_message_wire)
      $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`
      create or replace function chat_message_json(m messages, sender_username text) returns json
      language sql immutable parallel safe as $$
        select row_to_json(x) from (select
          m.id as "id",
          m.room_id as "roomId",
          m.seq as "seq",
          m.type as "type",
          m.content as "content",
          case
            when m.type = 'message' and m.sender_id is not null then (select row_to_json(s) from (select m.sender_id as "id", coalesce(sender_username, '') as "username") s)
            when m.type = 'bot' then (select row_to_json(s) from (select null::uuid as "id", coalesce(m.bot_name, 'stock-bot') as "username") s)
          end as "sender",
          case when m.type = 'message' then m.client_id end as "clientId",
          to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "timestamp") x
      $$;`);
    this.addSql(`drop type if exists chat_message_wire;`);
    this.addSql(`drop type if exists chat_user_ref;`);
  }
}
