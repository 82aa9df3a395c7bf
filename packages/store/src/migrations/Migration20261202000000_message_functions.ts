import { Migration } from '@mikro-orm/migrations';

/**
 * The message path as server-side functions, so that a group commit, a join and a
 * leave each take one round trip instead of six or seven statements (the gateway's
 * CPU and a send's latency are mostly spent per round trip):
 * - `chat_message_json(m, username)`: a row as the contract's `message` — the one mapper
 *   every read and write of messages uses;
 * - `chat_append_messages(...)`: a batch of drafts, in order, with gapless seqs per room;
 * - `chat_join_room` / `chat_leave_room`: the membership change and its system message.
 */
export class Migration20261202000000_message_functions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "messages" alter column "id" set default gen_random_uuid();`);

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

    // Drafts are parallel arrays (one element per draft, null where a field does not apply).
    // Rooms are locked in id order (FOR NO KEY UPDATE: it serialises a room's writers but does not
    // conflict with the FOR KEY SHARE locks foreign keys take, so a caller that inserted a membership
    // of the room first cannot deadlock). Each draft, in order, is answered with one outcome:
    // created (stored now), existing (its clientId in the room from this sender, or its jobId, was
    // stored before: that message), forbidden (a chat message whose sender is not a member),
    // not_found (no such room).
    this.addSql(`
      create or replace function chat_append_messages(
        p_room_ids uuid[], p_types text[], p_contents text[], p_sender_ids uuid[], p_sender_names text[],
        p_bot_names text[], p_client_ids text[], p_job_ids text[])
      returns table (ord int, outcome text, message text)
      language plpgsql as $$
      declare
        locked_ids uuid[];
        locked_seqs bigint[];
        pos int;
        found_json text;
      begin
        select coalesce(array_agg(r.id order by r.id), '{}'), coalesce(array_agg(r.last_seq order by r.id), '{}')
          into locked_ids, locked_seqs
          from (select id, last_seq from rooms where id = any(p_room_ids) order by id for no key update) r;
        for i in 1 .. coalesce(array_length(p_room_ids, 1), 0) loop
          ord := i;
          message := null;
          pos := array_position(locked_ids, p_room_ids[i]);
          if pos is null then
            outcome := 'not_found';
            return next;
            continue;
          end if;
          found_json := null;
          if p_types[i] = 'message' then
            if not exists (select 1 from memberships ms where ms.room_id = p_room_ids[i] and ms.user_id = p_sender_ids[i]) then
              outcome := 'forbidden';
              return next;
              continue;
            end if;
            select chat_message_json(m, u.username)::text into found_json
              from messages m left join users u on u.id = m.sender_id
              where m.room_id = p_room_ids[i] and m.sender_id = p_sender_ids[i] and m.client_id = p_client_ids[i];
          elsif p_types[i] = 'bot' then
            select chat_message_json(m, null)::text into found_json from messages m where m.job_id = p_job_ids[i];
          end if;
          if found_json is not null then
            outcome := 'existing';
            message := found_json;
            return next;
            continue;
          end if;
          locked_seqs[pos] := locked_seqs[pos] + 1;
          insert into messages as m (room_id, seq, type, content, sender_id, bot_name, client_id, job_id)
            values (p_room_ids[i], locked_seqs[pos], p_types[i], p_contents[i],
                    case when p_types[i] = 'message' then p_sender_ids[i] end,
                    case when p_types[i] = 'bot' then p_bot_names[i] end,
                    case when p_types[i] = 'message' then p_client_ids[i] end,
                    case when p_types[i] = 'bot' then p_job_ids[i] end)
            returning chat_message_json(m, p_sender_names[i])::text into message;
          outcome := 'created';
          return next;
        end loop;
        update rooms r set last_seq = s.seq from unnest(locked_ids, locked_seqs) as s(id, seq)
          where r.id = s.id and r.last_seq <> s.seq;
      end $$;`);

    // A membership and its system message, in the caller's one statement (and so one transaction).
    this.addSql(`
      create or replace function chat_join_room(p_room_id uuid, p_user_id uuid, p_username text)
      returns table (outcome text, message text)
      language plpgsql as $$
      declare
        owner uuid;
      begin
        select owner_id into owner from rooms where id = p_room_id;
        if not found then
          outcome := 'not_found';
          return next;
          return;
        end if;
        insert into memberships (room_id, user_id, role)
          values (p_room_id, p_user_id, case when owner = p_user_id then 'owner' else 'member' end)
          on conflict (room_id, user_id) do nothing;
        if not found then
          outcome := 'unchanged';
          return next;
          return;
        end if;
        outcome := 'changed';
        select a.message into message from chat_append_messages(array[p_room_id], array['system'], array[p_username || ' joined the room'],
          array[null]::uuid[], array[null], array[null], array[null], array[null]) a;
        return next;
      end $$;`);

    this.addSql(`
      create or replace function chat_leave_room(p_room_id uuid, p_user_id uuid, p_username text)
      returns table (outcome text, message text)
      language plpgsql as $$
      begin
        perform 1 from rooms where id = p_room_id;
        if not found then
          outcome := 'not_found';
          return next;
          return;
        end if;
        delete from memberships where room_id = p_room_id and user_id = p_user_id;
        if not found then
          outcome := 'unchanged';
          return next;
          return;
        end if;
        outcome := 'changed';
        select a.message into message from chat_append_messages(array[p_room_id], array['system'], array[p_username || ' left the room'],
          array[null]::uuid[], array[null], array[null], array[null], array[null]) a;
        return next;
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function if exists chat_leave_room(uuid, uuid, text);`);
    this.addSql(`drop function if exists chat_join_room(uuid, uuid, text);`);
    this.addSql(`drop function if exists chat_append_messages(uuid[], text[], text[], uuid[], text[], text[], text[], text[]);`);
    this.addSql(`drop function if exists chat_message_json(messages, text);`);
    this.addSql(`alter table "messages" alter column "id" drop default;`);
  }
}
